# Test that pgp_config() holds what the plugin's pre_hook read from the file its own
# [plugin.NAME] section names, once per process, and that nothing reads it before then.

import stat
from pathlib import Path

import pytest
from mailman.config import config
from mailman.testing.helpers import configuration

from mailman_pgp.config import load_pgp_config, pgp_config
from mailman_plugin_kit.settings import ProcessSettings, SettingsNotLoaded


def test_without_configuration_the_passphrase_lives_under_mailmans_var(mailman):
    settings = pgp_config()
    assert settings.passphrase_path.is_relative_to(Path(config.VAR_DIR))
    assert stat.S_IMODE(settings.passphrase_path.stat().st_mode) == 0o600


def test_settings_are_read_once_per_process(mailman):
    assert pgp_config() is pgp_config()


def test_the_plugins_own_section_names_the_file(mailman, tmp_path):
    site = tmp_path / "pgp.cfg"
    site.write_text("[keys]\nrequire_user_id: no\n")
    try:
        with configuration("plugin.pgp", configuration=str(site)):
            assert load_pgp_config("pgp").require_user_id is False
            assert pgp_config().require_user_id is False
    finally:
        load_pgp_config("pgp")
    assert pgp_config().require_user_id is True


def test_settings_read_before_the_hook_ran_say_so():
    with pytest.raises(SettingsNotLoaded, match="The PGP plugin's settings were read before"):
        ProcessSettings("PGP").get()
