# Test that the plugin's settings default from mailman_pgp.cfg and a site file overrides them.

import os
from datetime import timedelta
from pathlib import Path

import pytest

from mailman_pgp.config.errors import ConfigError
from mailman_pgp.config.settings import as_size, load_config
from mailman_pgp.mime import MIMELimits
from mailman_pgp.openpgp import SOP, KeyAlgorithm, KeyLimits

DEFAULTS_FILE = Path(__file__).resolve().parents[1] / "mailman_pgp.cfg"


def site_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "pgp.cfg"
    path.write_text(text)
    return str(path)


def test_defaults_without_a_site_file(tmp_path):
    settings = load_config(None, var_dir=tmp_path)
    assert settings.sop_command == "sqop"
    assert settings.sop_timeout == timedelta(seconds=30)
    assert settings.key_algorithm is KeyAlgorithm.CV25519
    assert settings.require_user_id is True
    assert settings.passphrase_path == tmp_path / "pgp" / "list-key-passphrase"
    assert settings.key_passphrase == settings.passphrase_path.read_text().strip()


def test_a_site_file_overrides_the_defaults(tmp_path):
    passphrase = tmp_path / "secret"
    passphrase.write_text("site passphrase\n")
    os.chmod(passphrase, 0o600)
    path = site_file(
        tmp_path,
        f"[keys]\nalgorithm: rsa3072\nrequire_user_id: no\npassphrase_file: {passphrase}\n"
        "[sop]\ncommand: /usr/bin/sqop\ntimeout: 2m\n",
    )
    settings = load_config(path, var_dir=tmp_path / "var")
    assert settings.key_algorithm is KeyAlgorithm.RSA3072
    assert settings.require_user_id is False
    assert settings.key_passphrase == "site passphrase"
    assert settings.passphrase_path == passphrase
    assert settings.sop_command == "/usr/bin/sqop"
    assert settings.sop_timeout == timedelta(minutes=2)
    assert not (tmp_path / "var").exists()


def test_a_site_file_changing_one_setting_keeps_the_others(tmp_path):
    path = site_file(tmp_path, "[keys]\nalgorithm: rsa4096\n")
    settings = load_config(path, var_dir=tmp_path)
    assert settings.key_algorithm is KeyAlgorithm.RSA4096
    assert settings.require_user_id is True
    assert settings.sop_command == "sqop"


def test_sop_carries_command_and_timeout(tmp_path):
    path = site_file(tmp_path, "[sop]\ncommand: /opt/sop\ntimeout: 5s\n")
    assert load_config(path, var_dir=tmp_path).sop() == SOP("/opt/sop", timeout=5.0)


def test_repr_never_shows_the_passphrase(tmp_path):
    settings = load_config(None, var_dir=tmp_path)
    assert settings.key_passphrase not in repr(settings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "[keys]\nalgoritm: rsa3072\n",
            r"unknown setting 'algoritm' in \[keys\]",
            id="misspelt-key",
        ),
        pytest.param(
            "[key]\nalgorithm: rsa3072\n", r"unknown section \[key\]", id="misspelt-section"
        ),
        pytest.param(
            "[keys]\nalgorithm: dsa1024\n",
            r"\[keys\] algorithm: 'dsa1024' is not one of cv25519, rsa3072, rsa4096",
            id="bad-algorithm",
        ),
        pytest.param(
            "[keys]\nrequire_user_id: perhaps\n",
            r"\[keys\] require_user_id: 'perhaps' is not yes or no",
            id="bad-boolean",
        ),
        pytest.param(
            "[sop]\ntimeout: soon\n",
            r"\[sop\] timeout: 'soon' is not a duration",
            id="bad-duration",
        ),
        pytest.param("[sop]\ncommand:\n", r"\[sop\] command must name", id="empty-command"),
        pytest.param(
            "[keys]\npassphrase_file: relative/file\n",
            "must be an absolute path",
            id="relative-passphrase-file",
        ),
    ],
)
def test_a_wrong_site_file_is_refused_with_the_reason(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(site_file(tmp_path, text), var_dir=tmp_path)


def test_a_missing_site_file_is_refused(tmp_path):
    missing = tmp_path / "nowhere.cfg"
    with pytest.raises(ConfigError, match="nowhere.cfg does not exist"):
        load_config(str(missing), var_dir=tmp_path)


def test_a_named_passphrase_file_that_is_missing_is_not_generated(tmp_path):
    missing = tmp_path / "lost-passphrase"
    path = site_file(tmp_path, f"[keys]\npassphrase_file: {missing}\n")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(path, var_dir=tmp_path)
    assert not missing.exists()
    assert not (tmp_path / "pgp").exists()


def test_the_defaults_file_documents_every_setting():
    lines = DEFAULTS_FILE.read_text().splitlines()
    settings = [i for i, line in enumerate(lines) if line and line[0] not in "#[ "]
    assert settings, "the defaults file holds settings"
    for index in settings:
        assert lines[index - 1].startswith("#"), f"{lines[index]!r} has no comment above it"


def test_posting_and_limits_defaults(tmp_path):
    settings = load_config(None, var_dir=tmp_path)
    assert settings.notify_senders_without_key is False
    assert settings.max_plaintext_size == 25 * 1024 * 1024
    assert settings.plaintext_size_factor == 10
    assert settings.mime_limits == MIMELimits(depth=32, parts=1000)
    assert settings.key_limits == KeyLimits(
        size=1024 * 1024, user_ids=100, subkeys=100, signatures=10_000)


def test_limits_are_read_from_the_sites_file(tmp_path):
    path = site_file(tmp_path, "[limits]\nmime_depth: 10\nmime_parts: 50\nkey_size: 64 KB\n"
                               "key_user_ids: 5\nkey_subkeys: 3\nkey_signatures: 20\n")
    settings = load_config(path, var_dir=tmp_path)
    assert settings.mime_limits == MIMELimits(depth=10, parts=50)
    assert settings.key_limits == KeyLimits(size=64 * 1024, user_ids=5, subkeys=3,
                                            signatures=20)


@pytest.mark.parametrize(("line", "expected"), [
    ("mime_depth: 101", "a whole number from 1 to 100"),
    ("mime_depth: 0", "a whole number from 1 to 100"),
    ("mime_parts: none", "a whole number above 0"),
    ("key_user_ids: -1", "a whole number above 0"),
    ("key_size: huge", "a size such as 1 MB"),
])
def test_a_limit_out_of_range_is_an_error_naming_it(tmp_path, line, expected):
    path = site_file(tmp_path, f"[limits]\n{line}\n")
    name = line.partition(":")[0]
    with pytest.raises(ConfigError, match=rf"\[limits\] {name}: .* is not {expected}"):
        load_config(path, var_dir=tmp_path)


@pytest.mark.parametrize(("text", "size"), [
    ("1048576", 1048576), ("512 KB", 512 * 1024), ("25MB", 25 * 1024 * 1024),
    ("1 gb", 1024 ** 3), ("100 B", 100),
])
def test_sizes_are_read_with_binary_units(text, size):
    assert as_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "-1 MB", "2.5 MB", "25 MiB", "big"])
def test_a_size_that_is_not_one_is_an_error_naming_the_setting(tmp_path, text):
    path = site_file(tmp_path, f"[limits]\nmax_plaintext_size: {text}\n")
    with pytest.raises(ConfigError, match=r"\[limits\] max_plaintext_size: .* is not a size"):
        load_config(path, var_dir=tmp_path)


def test_the_plaintext_limit_follows_the_lists_max_message_size(tmp_path):
    path = site_file(tmp_path, "[limits]\nmax_plaintext_size: 1 MB\nplaintext_size_factor: 4\n")
    settings = load_config(path, var_dir=tmp_path)
    assert settings.plaintext_limit(0) == 1024 * 1024
    assert settings.plaintext_limit(40) == 40 * 1024 * 4
    assert settings.plaintext_limit(10_000) == 1024 * 1024


def test_confirmations_last_a_day_unless_set(tmp_path):
    assert load_config(None, var_dir=tmp_path).confirmation_lifetime == timedelta(days=1)
    path = site_file(tmp_path, "[confirmations]\nlifetime: 2h\n")
    assert load_config(path, var_dir=tmp_path).confirmation_lifetime == timedelta(hours=2)
