"""The PGP plugin's own settings, read once per process.

`pgp_config()` is what every other module asks. The plugin's ``pre_hook`` calls
`reload_pgp_config()` so that a broken configuration stops the plugin at start-up
(and a missing passphrase is generated then), not at the first message.
"""

from mailman.config import config
from public import public

from mailman_pgp.config.errors import ConfigError
from mailman_pgp.config.settings import PGPConfig, load_config

PLUGIN_CLASS = "mailman_pgp.plugin.PGPPlugin"

_current: PGPConfig | None = None

public(ConfigError=ConfigError, PGPConfig=PGPConfig, load_config=load_config)


@public
def pgp_config() -> PGPConfig:
    """The plugin's settings in this process, read on first use."""
    return _current if _current is not None else reload_pgp_config()


@public
def reload_pgp_config() -> PGPConfig:
    """Read the settings again from the files Mailman's configuration names."""
    global _current
    _current = load_config(configuration_path(), var_dir=config.VAR_DIR)
    return _current


@public
def configuration_path() -> str | None:
    """The ``configuration:`` of the enabled ``[plugin.*]`` section running this plugin."""
    for name, section in config.plugin_configs:
        if name in config.plugins and section["class"].strip() == PLUGIN_CLASS:
            return section["configuration"].strip() or None
    return None
