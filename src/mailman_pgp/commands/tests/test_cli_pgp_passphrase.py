# Test that `mailman pgp-passphrase rotate` and `check`, run by Mailman's own `mailman` command,
# rotate the list-key passphrase (generated, or from a file the administrator names, never
# from the command line), never print it, and warn exactly when Mailman runs on the host or
# when other hosts may share the database.

import os
from unittest.mock import patch

import pytest
from click.testing import CliRunner
from mailman.bin.mailman import main
from mailman.config import config
from mailman.database.transaction import transaction
from zope.component import getUtility

from mailman_pgp.app.tests.list_keys import (
    assert_lists_work,
    encrypted_posts,
    make_pgp_lists,
    passphrase_files_restored,
    read_first_line,
)
from mailman_pgp.commands import cli_pgp_passphrase
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.model import PGPListManager
from mailman_pgp.openpgp import generate_key
from mailman_pgp.testing.gnupg import GnuPGClient


@pytest.fixture(scope="module")
def gpg():
    client = GnuPGClient()
    yield client
    client.close()


@pytest.fixture
def files(mailman):
    with passphrase_files_restored() as files:
        yield files


def run(*args: str):
    with patch("mailman.bin.mailman.initialize"):
        result = CliRunner().invoke(main, ["--run-as-root", *args])
    config.db.abort()
    return result


def test_rotate_generates_a_new_passphrase_and_never_prints_it(files, gpg):
    posts = encrypted_posts(gpg, make_pgp_lists("ant", "bee"))
    old = read_first_line(files.current)
    result = run("pgp-passphrase", "rotate")
    assert result.exit_code == 0, result.output
    new = read_first_line(files.current)
    assert new != old
    assert old not in result.output and new not in result.output
    assert result.stdout == (
        "Rotated the list-key passphrase: 2 list keys re-encrypted, 0 had the new passphrase"
        f" already. It is in {files.current}: back that file up now; database backups made"
        " before need the old passphrase.\n")
    assert_lists_work(PGPListManager(new), gpg, posts)


def test_rotate_takes_the_new_passphrase_from_a_file(files, tmp_path, gpg):
    posts = encrypted_posts(gpg, make_pgp_lists("ant"))
    chosen = tmp_path / "new-passphrase"
    chosen.write_text("chosen by the administrator\n")
    os.chmod(chosen, 0o600)
    result = run("pgp-passphrase", "rotate", "--passphrase-file", str(chosen))
    assert result.exit_code == 0, result.output
    assert read_first_line(files.current) == "chosen by the administrator"
    assert "chosen by the administrator" not in result.output
    assert_lists_work(PGPListManager("chosen by the administrator"), gpg, posts)


def test_rotate_refuses_a_new_passphrase_others_can_read(files, tmp_path):
    make_pgp_lists("ant")
    old = read_first_line(files.current)
    chosen = tmp_path / "new-passphrase"
    chosen.write_text("readable by all\n")
    os.chmod(chosen, 0o644)
    result = run("pgp-passphrase", "rotate", "--passphrase-file", str(chosen))
    assert result.exit_code == 1
    assert "accessible to other users" in result.output
    assert read_first_line(files.current) == old and not files.pending.exists()


def test_rotate_takes_no_passphrase_on_the_command_line(files):
    result = run("pgp-passphrase", "rotate", "--passphrase", "typed in the shell")
    assert result.exit_code == 2
    assert not files.pending.exists()


def test_prepare_then_rotate(files, gpg):
    posts = encrypted_posts(gpg, make_pgp_lists("ant"))
    result = run("pgp-passphrase", "rotate", "--prepare")
    assert result.exit_code == 0, result.output
    assert f"The new passphrase is in {files.pending}. Copy that file" in result.stdout
    pending = read_first_line(files.pending)
    result = run("pgp-passphrase", "rotate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Finishing the rotation that was started before"
                                    f" ({files.pending}).\n")
    assert read_first_line(files.current) == pending
    assert_lists_work(getUtility(IPGPListManager), gpg, posts)


def test_a_running_mailman_is_told_to_restart(files, monkeypatch):
    make_pgp_lists("ant")
    monkeypatch.setattr(cli_pgp_passphrase, "_mailman_runs", lambda: True)
    result = run("pgp-passphrase", "rotate")
    assert result.exit_code == 0, result.output
    assert "Warning: Mailman is running on this host." in result.stderr
    assert "restart Mailman now (mailman restart)" in result.stderr


def test_other_hosts_are_mentioned_only_where_they_can_share_the_database(files):
    make_pgp_lists("ant")
    result = run("pgp-passphrase", "rotate")
    assert result.exit_code == 0, result.output
    shared = config.db.engine.dialect.name != "sqlite"
    assert ("other hosts that share this database" in result.stderr) is shared


def test_check_names_each_list_and_fails_for_a_key_no_passphrase_opens(files):
    make_pgp_lists("ant", "bee")
    result = run("pgp-passphrase", "check")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("ant.example.com: the passphrase in force\n"
                             "bee.example.com: the passphrase in force\n"
                             "Every list key opens (2 lists).\n")
    with transaction():
        pgp_list = getUtility(IPGPListManager).get("bee.example.com")
        pgp_list.protected_secret_key = generate_key("B <b@example.com>").protect("lost")
    result = run("pgp-passphrase", "check")
    assert result.exit_code == 1
    assert "bee.example.com: no passphrase the plugin has" in result.stdout
    assert "Error: The key of bee.example.com opens with no passphrase of this host." \
        in result.output
    result = run("pgp-passphrase", "rotate")
    assert result.exit_code == 1
    assert "bee.example.com opens with neither" in result.output
