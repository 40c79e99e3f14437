"""The PGP plugin's own settings, read once per process by the plugin's ``pre_hook``.

`pgp_config()` is what every other module asks. The plugin's ``pre_hook`` calls
`load_pgp_config()` with the name of its ``[plugin.NAME]`` section, so that a broken
configuration stops Mailman at start-up (and a missing passphrase is generated then),
not at the first message.
"""

from mailman.config import config
from public import public

from mailman_pgp.config.errors import ConfigError
from mailman_pgp.config.settings import PGPConfig, load_config
from mailman_plugin_kit.settings import ProcessSettings

SETTINGS: ProcessSettings[PGPConfig] = ProcessSettings("PGP")

public(ConfigError=ConfigError, PGPConfig=PGPConfig, SETTINGS=SETTINGS, load_config=load_config)


@public
def pgp_config() -> PGPConfig:
    """The plugin's settings in this process."""
    return SETTINGS.get()


@public
def load_pgp_config(plugin_name: str) -> PGPConfig:
    """Read the settings from the file ``[plugin.<plugin_name>] configuration:`` names.

    They become this process's settings; `ConfigError` says what is wrong with them.
    """
    section = getattr(config, f"plugin.{plugin_name}")
    path = section.configuration.strip() or None
    return SETTINGS.set(load_config(path, var_dir=config.VAR_DIR))
