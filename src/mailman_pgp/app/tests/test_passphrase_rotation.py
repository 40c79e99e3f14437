# Test that rotating the list-key passphrase re-encrypts every list key and replaces the
# passphrase file, and that a rotation stopped at any step (an exception raised there, in
# this process) leaves every list decrypting and signing, for a process that was running and
# for one that starts then, until running it again finishes it.

import fcntl
import os
import stat
from dataclasses import replace

import pytest
from mailman.config import config
from mailman.database.transaction import transaction
from zope.component import getUtility

from mailman_pgp.app.passphrase_rotation import (
    KeyState,
    RotationRefused,
    key_states,
    rotate_passphrase,
)
from mailman_pgp.app.tests.list_keys import (
    INTERRUPTIONS,
    assert_lists_work,
    assert_stopped_as_said,
    encrypted_posts,
    make_pgp_lists,
    opening_passphrase,
    read_first_line,
    stored_keys,
)
from mailman_pgp.config import SETTINGS, load_config, pgp_config
from mailman_pgp.config.passphrase import temporary_files
from mailman_pgp.config.tests.logs import plugin_log
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.model import PGPListManager
from mailman_pgp.openpgp import generate_key


class Interrupted(Exception):
    """Raised where a test stops the rotation."""


def interrupt() -> None:
    raise Interrupted


@pytest.fixture
def lists(files, gpg):
    """Three PGP lists, and a post GnuPG encrypted to each."""
    return encrypted_posts(gpg, make_pgp_lists("ant", "bee", "cat"))


def started_now():
    """The settings a Mailman process starting now reads."""
    return load_config(None, var_dir=config.VAR_DIR)


def test_a_rotation_reencrypts_every_key_and_replaces_the_passphrase(files, lists, gpg):
    old = read_first_line(files.current)
    before = stored_keys()
    rotation = rotate_passphrase()
    new = read_first_line(files.current)
    assert new != old and len(new) >= 32
    assert rotation.finished and not rotation.resumed
    assert rotation.reencrypted == ("ant.example.com", "bee.example.com", "cat.example.com")
    assert rotation.unchanged == ()
    after = stored_keys()
    assert all(after[list_id] != before[list_id] for list_id in before)
    assert all(opening_passphrase(stored, [old]) is None for stored in after.values())
    assert all(opening_passphrase(stored, [new]) == new for stored in after.values())
    assert not files.pending.exists()
    assert stat.S_IMODE(files.current.stat().st_mode) == 0o600
    # A process that starts now has the new passphrase alone; this one, started before,
    # opens the keys too.
    assert started_now().passphrases.all == (new,)
    assert_lists_work(PGPListManager(new), gpg, lists)
    assert_lists_work(getUtility(IPGPListManager), gpg, lists)


def test_the_passphrase_is_never_logged(files, lists):
    old = read_first_line(files.current)
    with plugin_log() as records:
        rotate_passphrase()
    new = read_first_line(files.current)
    assert any("rotated the list-key passphrase" in record for record in records)
    assert not any(old in record or new in record for record in records)


def test_the_new_passphrase_can_be_the_administrators(files, lists, gpg):
    rotate_passphrase("a passphrase the administrator chose")
    assert read_first_line(files.current) == "a passphrase the administrator chose"
    assert_lists_work(PGPListManager("a passphrase the administrator chose"), gpg, lists)


def test_the_new_passphrase_cannot_be_the_one_in_force(files, lists):
    with pytest.raises(RotationRefused, match="in force already"):
        rotate_passphrase(read_first_line(files.current))
    assert not files.pending.exists()


@pytest.mark.parametrize("interruption", INTERRUPTIONS, ids=lambda i: i.name)
def test_a_rotation_stopped_anywhere_loses_no_key(files, lists, gpg, interruption):
    old = read_first_line(files.current)
    undo = interruption.install(interrupt)
    try:
        with pytest.raises(Interrupted):
            rotate_passphrase()
    finally:
        undo()
    assert_stopped_as_said(interruption, files, old)
    # The process that was running opens every key, and so does one that starts now,
    # with what it reads at its start.
    assert_lists_work(getUtility(IPGPListManager), gpg, lists)
    settings = started_now()
    assert all(opening_passphrase(stored, settings.passphrases.all) is not None
               for stored in stored_keys().values())
    assert_lists_work(PGPListManager(*settings.passphrases.all), gpg, lists)
    # Running it again finishes it, with the passphrase it had chosen if it had written it.
    pending = read_first_line(files.pending) if files.pending.exists() else None
    rotation = rotate_passphrase()
    new = read_first_line(files.current)
    assert rotation.resumed is (pending is not None)
    if pending is not None:
        assert new == pending
    assert new != old
    assert not files.pending.exists()
    assert temporary_files(files.pending) == temporary_files(files.current) == []
    assert all(opening_passphrase(stored, [new]) == new for stored in stored_keys().values())
    assert_lists_work(getUtility(IPGPListManager), gpg, lists)
    assert_lists_work(PGPListManager(*started_now().passphrases.all), gpg, lists)


def test_a_process_starting_during_a_rotation_reads_both_passphrases(files, lists):
    undo = INTERRUPTIONS[2].install(interrupt)  # after the pending file is written
    try:
        with pytest.raises(Interrupted):
            rotate_passphrase()
    finally:
        undo()
    with plugin_log() as records:
        settings = started_now()
    assert settings.passphrases.all == (read_first_line(files.current),
                                        read_first_line(files.pending))
    assert any("was not finished" in record and str(files.pending) in record
               for record in records)
    assert not any(passphrase in record for record in records
                   for passphrase in settings.passphrases.all)


def test_a_key_stored_during_an_unfinished_rotation_gets_the_new_passphrase(files, lists, gpg):
    undo = INTERRUPTIONS[2].install(interrupt)  # after the pending file is written
    try:
        with pytest.raises(Interrupted):
            rotate_passphrase()
    finally:
        undo()
    pending = read_first_line(files.pending)
    lists.update(encrypted_posts(gpg, make_pgp_lists("dog")))
    assert opening_passphrase(stored_keys()["dog.example.com"], [pending]) == pending
    rotation = rotate_passphrase()
    assert rotation.unchanged == ("dog.example.com",)
    assert len(rotation.reencrypted) == 3
    assert_lists_work(PGPListManager(read_first_line(files.current)), gpg, lists)


def test_a_process_started_before_a_rotation_stores_keys_with_the_new_passphrase(
        files, lists, gpg):
    old = read_first_line(files.current)
    rotate_passphrase()
    new = read_first_line(files.current)
    started_before = PGPListManager(old)
    with transaction():
        started_before.create("dog.example.com", generate_key("Dog <dog@example.com>"))
    assert opening_passphrase(stored_keys()["dog.example.com"], [old, new]) == new


def test_a_second_rotation_on_the_host_is_refused_while_one_runs(files, lists):
    handle = os.open(files.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(RotationRefused, match="Another rotation"):
            rotate_passphrase()
    finally:
        os.close(handle)
    assert not files.pending.exists()
    rotate_passphrase()


def test_an_unfinished_rotation_is_finished_before_another_passphrase_is_taken(files, lists):
    rotate_passphrase(prepare=True)
    pending = read_first_line(files.pending)
    with pytest.raises(RotationRefused, match="Finish it first"):
        rotate_passphrase("another new passphrase")
    rotate_passphrase()
    assert read_first_line(files.current) == pending


def test_prepare_writes_the_pending_file_only(files, lists):
    old = read_first_line(files.current)
    before = stored_keys()
    rotation = rotate_passphrase(prepare=True)
    assert not rotation.finished
    assert stat.S_IMODE(files.pending.stat().st_mode) == 0o600
    assert read_first_line(files.current) == old
    assert stored_keys() == before


def test_a_key_that_no_passphrase_opens_stops_the_rotation_before_any_change(files, lists):
    old = read_first_line(files.current)
    with transaction():
        pgp_list = getUtility(IPGPListManager).get("bee.example.com")
        pgp_list.protected_secret_key = generate_key("B <b@example.com>").protect("lost")
    before = stored_keys()
    with pytest.raises(RotationRefused, match="bee.example.com opens with neither"):
        rotate_passphrase()
    assert read_first_line(files.current) == old
    assert not files.pending.exists()
    assert stored_keys() == before


def test_key_states_say_which_passphrase_opens_each_key(files, lists):
    assert set(key_states().values()) == {KeyState.current}
    undo = INTERRUPTIONS[4].install(interrupt)  # after the re-encryption is committed
    try:
        with pytest.raises(Interrupted):
            rotate_passphrase()
    finally:
        undo()
    assert set(key_states().values()) == {KeyState.pending}
    with transaction():
        pgp_list = getUtility(IPGPListManager).get("bee.example.com")
        pgp_list.protected_secret_key = generate_key("B <b@example.com>").protect("lost")
    assert key_states()["bee.example.com"] is KeyState.neither


def test_a_named_passphrase_file_keeps_its_mode_and_the_link_to_it(
        files, tmp_path, monkeypatch, gpg):
    real = tmp_path / "secrets" / "pgp-passphrase"
    real.parent.mkdir()
    real.write_text("the site's own passphrase\n")
    os.chmod(real, 0o640)
    link = tmp_path / "pgp-passphrase-link"
    link.symlink_to(real)
    monkeypatch.setattr(SETTINGS, "_value", replace(
        pgp_config(), passphrase_path=link, key_passphrase="the site's own passphrase"))
    posts = encrypted_posts(gpg, make_pgp_lists("ant"))
    rotate_passphrase("the site's next passphrase")
    assert link.is_symlink()
    assert read_first_line(real) == "the site's next passphrase"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert not files.pending.exists()
    assert_lists_work(PGPListManager("the site's next passphrase"), gpg, posts)
