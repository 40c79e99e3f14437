# Test that `mailman pgp-key export` and `mailman pgp-key import`, found by Mailman's own
# `mailman` command among the plugin's components, back up a PGP list's key and bring one in,
# taking a passphrase only from a file or a prompt, and saying clearly what they refuse.

import os
import shlex
import stat
from pathlib import Path
from unittest.mock import patch

import pytest
from click.testing import CliRunner
from mailman.app.lifecycle import create_list
from mailman.bin.mailman import main
from mailman.config import config
from mailman.database.transaction import transaction
from zope.component import getUtility

from mailman_pgp.app.tests.list_keys import assert_lists_work, encrypted_posts, make_pgp_lists
from mailman_pgp.commands.cli_pgp_key import PGPKeyCommand
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.testing.gnupg import GnuPGClient


@pytest.fixture
def gpg():
    client = GnuPGClient()
    yield client
    client.close()


def run(*args: str, input: str | None = None):
    """``mailman ARGS`` as Mailman's command runs it, in this (initialized) process."""
    with patch("mailman.bin.mailman.initialize"):
        result = CliRunner().invoke(main, ["--run-as-root", *args], input=input)
    config.db.abort()
    return result


def passphrase_file(tmp_path, text: str = "backup passphrase", mode: int = 0o600):
    path = tmp_path / "passphrase"
    path.write_text(text + "\n")
    os.chmod(path, mode)
    return str(path)


def test_mailman_lists_the_command(mailman):
    from mailman.interfaces.command import ICLISubCommand
    from zope.interface.verify import verifyObject

    assert verifyObject(ICLISubCommand, PGPKeyCommand())
    result = run("pgp-key", "--help")
    assert result.exit_code == 0
    assert "export" in result.output and "import" in result.output


def test_export_then_import_with_a_passphrase_file(mailman, tmp_path, gpg):
    [list_id] = make_pgp_lists("ant")
    posts = encrypted_posts(gpg, [list_id])
    fingerprint = getUtility(IPGPListManager).get(list_id).fingerprint
    key_file = tmp_path / "ant.asc"
    result = run("pgp-key", "export", "ant@example.com", str(key_file),
                     "--passphrase-file", passphrase_file(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"Exported the secret key {fingerprint} of ant.example.com to"
                             f" {key_file} (mode 0600, encrypted with your passphrase).\n")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "backup passphrase" not in result.output
    # Back into a list (a copy of the key on a new installation).
    with transaction():
        getUtility(IPGPListManager).delete(list_id)
    result = run("pgp-key", "import", list_id, str(key_file),
                     "--passphrase-file", passphrase_file(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{list_id} is a PGP list now, with the key {fingerprint}.\n"
    assert_lists_work(getUtility(IPGPListManager), gpg, posts)


def test_the_passphrase_can_be_typed_at_a_prompt_that_does_not_echo(mailman, tmp_path):
    [list_id] = make_pgp_lists("ant")
    key_file = tmp_path / "ant.asc"
    result = run("pgp-key", "export", list_id, str(key_file), "--ask-passphrase",
                     input="typed passphrase\ntyped passphrase\n")
    assert result.exit_code == 0, result.output
    assert "typed passphrase" not in result.output
    assert key_file.read_bytes().startswith(b"-----BEGIN PGP MESSAGE-----")
    with transaction():
        getUtility(IPGPListManager).delete(list_id)
    result = run("pgp-key", "import", list_id, str(key_file))
    assert result.exit_code == 1
    assert "encrypted with a passphrase; give it" in result.output
    result = run("pgp-key", "import", list_id, str(key_file), "--ask-passphrase",
                     input="typed passphrase\n")
    assert result.exit_code == 0, result.output
    assert "typed passphrase" not in result.output


def test_a_prompted_passphrase_must_be_typed_twice_alike_for_an_export(mailman, tmp_path):
    [list_id] = make_pgp_lists("ant")
    result = run("pgp-key", "export", list_id, str(tmp_path / "ant.asc"),
                     "--ask-passphrase", input="one\ntwo\none\none\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output


def test_the_passphrase_is_never_taken_from_the_command_line(mailman, tmp_path):
    [list_id] = make_pgp_lists("ant")
    result = run("pgp-key", "export", list_id, str(tmp_path / "ant.asc"),
                     "--passphrase", "on the command line")
    assert result.exit_code == 2
    assert "No such option '--passphrase'" in result.output
    assert not (tmp_path / "ant.asc").exists()


def test_a_passphrase_file_others_can_read_is_refused(mailman, tmp_path):
    [list_id] = make_pgp_lists("ant")
    result = run("pgp-key", "export", list_id, str(tmp_path / "ant.asc"),
                     "--passphrase-file", passphrase_file(tmp_path, mode=0o644))
    assert result.exit_code == 1
    assert "accessible to other users" in result.output
    assert not (tmp_path / "ant.asc").exists()


def test_both_passphrase_options_are_refused(mailman, tmp_path):
    [list_id] = make_pgp_lists("ant")
    result = run("pgp-key", "export", list_id, str(tmp_path / "ant.asc"),
                     "--passphrase-file", passphrase_file(tmp_path), "--ask-passphrase")
    assert result.exit_code == 2
    assert "not both" in result.output


def test_an_unencrypted_export_and_an_existing_file(mailman, tmp_path, gpg):
    [list_id] = make_pgp_lists("ant")
    key_file = tmp_path / "ant.asc"
    assert run("pgp-key", "export", list_id, str(key_file)).exit_code == 0
    assert key_file.read_bytes().startswith(b"-----BEGIN PGP PRIVATE KEY BLOCK-----")
    result = run("pgp-key", "export", list_id, str(key_file))
    assert result.exit_code == 1
    assert f"Error: {key_file} exists already; name a new file." in result.output


def test_import_of_a_gnupg_key_and_its_replacement(mailman, tmp_path, gpg):
    with transaction():
        create_list("ant@example.com")
    first = gpg.generate("Ant <ant@example.com>")
    second = gpg.generate("Ant Again <ant@example.com>")
    (tmp_path / "first.asc").write_text(gpg.export_secret(first))
    (tmp_path / "second.asc").write_text(gpg.export_secret(second))
    result = run("pgp-key", "import", "ant.example.com", str(tmp_path / "first.asc"))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ant.example.com is a PGP list now, with the key {first}.\n"
    result = run("pgp-key", "import", "ant.example.com", str(tmp_path / "second.asc"))
    assert result.exit_code == 1
    assert "is a PGP list already" in result.output
    result = run("pgp-key", "import", "ant.example.com", str(tmp_path / "second.asc"),
                     "--replace")
    assert result.exit_code == 0, result.output
    assert f"The key of ant.example.com is now {second} (it was {first})." in result.stdout
    assert "Note: Posts encrypted to the key it replaced" in result.stderr
    assert getUtility(IPGPListManager).get("ant.example.com").fingerprint == second


def test_unknown_lists_and_unusable_files_are_named(mailman, tmp_path):
    result = run("pgp-key", "export", "nobody@example.com", str(tmp_path / "x.asc"))
    assert (result.exit_code, result.output) == (1, "Error: No such list: nobody@example.com\n")
    with transaction():
        create_list("ant@example.com")
    result = run("pgp-key", "export", "ant.example.com", str(tmp_path / "x.asc"))
    assert "Error: ant.example.com is not a PGP list." in result.output
    (tmp_path / "junk.asc").write_text("junk\n")
    result = run("pgp-key", "import", "ant.example.com", str(tmp_path / "junk.asc"))
    assert result.exit_code == 1
    assert "does not hold one readable OpenPGP secret key" in result.output
    assert getUtility(IPGPListManager).get("ant.example.com") is None


def admin_guide_commands() -> list[list[str]]:
    """The ``mailman pgp-...`` command lines of docs/admin.md, split as a shell does."""
    guide = Path(__file__).resolve().parents[4] / "docs" / "admin.md"
    lines = [line.strip() for line in guide.read_text().splitlines()]
    return [shlex.split(line, comments=True)[1:] for line in lines
            if line.startswith("mailman pgp-")]


def test_the_admin_guide_shows_commands_and_options_that_exist(mailman):
    commands = admin_guide_commands()
    assert {tuple(words[:2]) for words in commands} == {
        ("pgp-key", "export"), ("pgp-key", "import"),
        ("pgp-passphrase", "rotate"), ("pgp-passphrase", "check")}
    for words in commands:
        # --help stops before running the command, after checking the options given.
        result = run(*words, "--help")
        assert result.exit_code == 0, (words, result.output)
