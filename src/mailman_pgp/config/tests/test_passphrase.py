# Test that the list-key passphrase is generated once with mode 0600, reused, and never logged.

import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from mailman_pgp.config.errors import ConfigError
from mailman_pgp.config.passphrase import (
    default_passphrase_path,
    read_or_create_passphrase,
    read_passphrase,
)
from mailman_pgp.config.tests.logs import plugin_log


def test_generated_under_var_dir_with_mode_0600(tmp_path):
    path = default_passphrase_path(tmp_path)
    passphrase = read_or_create_passphrase(path)
    assert path == tmp_path / "pgp" / "list-key-passphrase"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(passphrase) >= 32
    assert path.read_text().strip() == passphrase


def test_generated_file_is_reused_on_the_next_start(tmp_path):
    path = default_passphrase_path(tmp_path)
    first = read_or_create_passphrase(path)
    mtime = path.stat().st_mtime_ns
    second = read_or_create_passphrase(path)
    assert second == first
    assert path.stat().st_mtime_ns == mtime


def test_log_says_where_but_never_the_secret(tmp_path):
    path = default_passphrase_path(tmp_path)
    with plugin_log() as records:
        passphrase = read_or_create_passphrase(path)
    assert any(str(path) in record for record in records)
    assert not any(passphrase in record for record in records)


def test_reuse_is_not_logged_as_a_generation(tmp_path):
    path = default_passphrase_path(tmp_path)
    read_or_create_passphrase(path)
    with plugin_log() as records:
        read_or_create_passphrase(path)
    assert not any("generated" in record for record in records)


def test_processes_starting_together_agree_on_one_passphrase(tmp_path):
    path = default_passphrase_path(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = set(pool.map(lambda _: read_or_create_passphrase(path), range(32)))
    assert len(results) == 1
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]


def test_a_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "passphrase"
    path.write_text("correct horse\n")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="accessible to other users"):
        read_passphrase(path)


def test_group_readable_file_is_accepted(tmp_path):
    path = tmp_path / "passphrase"
    path.write_text("  correct horse  \nsecond line ignored\n")
    os.chmod(path, 0o640)
    assert read_passphrase(path) == "correct horse"


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "passphrase"
    path.write_text("\n")
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError, match="is empty"):
        read_passphrase(path)


def test_a_missing_named_file_is_an_error_not_generated(tmp_path):
    path = tmp_path / "absent"
    with pytest.raises(ConfigError, match="does not exist"):
        read_passphrase(path)
    assert not path.exists()
