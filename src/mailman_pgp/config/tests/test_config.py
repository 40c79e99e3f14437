# Test that pgp_config() reads the file [plugin.pgp] configuration: names and keeps it per process.

import stat
from pathlib import Path

from mailman.config import config
from mailman.testing.helpers import configuration

from mailman_pgp.config import configuration_path, pgp_config, reload_pgp_config


def test_without_configuration_the_passphrase_lives_under_mailmans_var(mailman):
    settings = pgp_config()
    assert configuration_path() is None
    assert settings.passphrase_path.is_relative_to(Path(config.VAR_DIR))
    assert stat.S_IMODE(settings.passphrase_path.stat().st_mode) == 0o600


def test_settings_are_read_once_per_process(mailman):
    assert pgp_config() is pgp_config()


def test_configuration_names_the_plugins_own_file(mailman, tmp_path):
    site = tmp_path / "pgp.cfg"
    site.write_text("[keys]\nrequire_user_id: no\n")
    try:
        with configuration("plugin.pgp", configuration=str(site)):
            assert configuration_path() == str(site)
            assert reload_pgp_config().require_user_id is False
            assert pgp_config().require_user_id is False
    finally:
        reload_pgp_config()
    assert pgp_config().require_user_id is True
