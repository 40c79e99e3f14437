# Test that `mailman pgp-passphrase rotate`, run as its own process and killed (SIGKILL) at
# each step, leaves every list decrypting and signing in the Mailman processes that were
# running and in those that start afterwards, and that running it again finishes the
# rotation; that a second rotation waits its turn, and that a list key stored by a process
# that started before a rotation gets the new passphrase.

import base64
import json
import select
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flufl.lock import Lock
from mailman.config import config
from sqlalchemy import text
from zope.component import getUtility

from mailman_pgp.app.tests.list_keys import (
    INTERRUPTIONS,
    POST,
    SIGNED,
    Interruption,
    assert_lists_work,
    assert_stopped_as_said,
    encrypted_posts,
    make_pgp_lists,
    opening_passphrase,
    read_first_line,
    stored_keys,
)
from mailman_pgp.config import passphrase as passphrase_module
from mailman_pgp.config.passphrase import temporary_files
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.testing.gnupg import GnuPGClient

pytestmark = pytest.mark.mailman

MAILMAN = str(Path(sys.executable).parent / "mailman")
CHILD = [sys.executable, "-m", "mailman_pgp.app.tests.rotation_child"]
TIMEOUT = 120


@pytest.fixture
def lists(files, gpg, tmp_path):
    """Three PGP lists, a post GnuPG encrypted to each, and that file for `open_keys`."""
    posts = encrypted_posts(gpg, make_pgp_lists("ant", "bee", "cat"))
    config.db.commit()
    path = tmp_path / "posts.json"
    path.write_text(json.dumps({list_id: base64.b64encode(post).decode()
                                for list_id, post in posts.items()}))
    return posts, path


def mailman_args(*args: str) -> list[str]:
    # The test suite runs as root in CI; Mailman refuses root without this.
    return ["-C", config.filename, "--run-as-root", *args]


def run_mailman(*args: str) -> subprocess.CompletedProcess:
    config.db.abort()
    return subprocess.run([MAILMAN, *mailman_args(*args)], capture_output=True, text=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL)


class Stopped:
    """A child process running ``mailman ARGS``, stopped at ``interruption``."""

    def __init__(self, interruption: Interruption, *args: str, log: Path) -> None:
        config.db.abort()
        self.log = log
        self.process = subprocess.Popen(
            [*CHILD, "stop", interruption.target, interruption.when, str(interruption.call),
             "--", *mailman_args(*args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(log, "wb"))
        self.wait_for("STOPPED")

    def wait_for(self, marker: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 1)
            if ready:
                line = self.process.stdout.readline().decode()
                if line.strip() == marker:
                    return
                if not line and self.process.poll() is not None:
                    break
        raise AssertionError(f"the child did not reach the point: {self.log.read_text()}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)
        assert self.process.returncode == -signal.SIGKILL

    def go_on(self) -> tuple[int, str]:
        """Let it go on from where it stopped; its exit status and output."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"\n")
        self.process.stdin.flush()
        output = self.process.stdout.read().decode()
        return self.process.wait(timeout=TIMEOUT), output


def wait_for_a_lock_waiter() -> None:
    """Until another database session waits for a lock, on PostgreSQL; on SQLite, whose
    waiters cannot be seen from outside, a second."""
    if config.db.store.get_bind().dialect.name != "postgresql":
        time.sleep(1)
        return
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            waiting = config.db.store.execute(
                text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar()
            if waiting:
                return
            config.db.abort()
            time.sleep(0.05)
    finally:
        config.db.abort()
    raise AssertionError("no session waited for the lock")


def open_keys(posts_file: Path) -> dict:
    """What a Mailman process that starts now does with each list's key (`rotation_child`)."""
    config.db.abort()
    done = subprocess.run([*CHILD, "open", config.filename, str(posts_file)],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def assert_a_new_process_works(posts_file: Path, gpg: GnuPGClient) -> None:
    report = open_keys(posts_file)
    assert set(report) == {"ant.example.com", "bee.example.com", "cat.example.com"}
    for list_id, opened in report.items():
        assert opened["opens_with_start_passphrases"], list_id
        assert opened["plaintext"].encode() == POST, list_id
        verdict = gpg.verify_detached(opened["signature"].encode(), SIGNED).verdict
        assert verdict == "GOODSIG", list_id


@pytest.mark.parametrize("interruption", INTERRUPTIONS, ids=lambda i: i.name)
def test_a_rotation_killed_anywhere_loses_no_key(files, lists, gpg, tmp_path, interruption):
    posts, posts_file = lists
    old = read_first_line(files.current)
    Stopped(interruption, "pgp-passphrase", "rotate", log=tmp_path / "rotate.log").kill()
    assert_stopped_as_said(interruption, files, old)
    # This process was running all along; a Mailman process starts after the kill.
    assert_lists_work(getUtility(IPGPListManager), gpg, posts)
    assert_a_new_process_works(posts_file, gpg)
    pending = read_first_line(files.pending) if files.pending.exists() else None
    done = run_mailman("pgp-passphrase", "rotate")
    assert done.returncode == 0, done.stderr
    new = read_first_line(files.current)
    assert new != old
    if pending is not None:
        assert new == pending
        assert "Finishing the rotation" in done.stdout
    assert not any(secret in done.stdout + done.stderr for secret in (old, new))
    assert not files.pending.exists()
    assert temporary_files(files.pending) == temporary_files(files.current) == []
    assert all(opening_passphrase(stored, [new]) == new for stored in stored_keys().values())
    assert_lists_work(getUtility(IPGPListManager), gpg, posts)
    assert_a_new_process_works(posts_file, gpg)


def test_a_second_rotation_is_refused_while_the_first_runs(files, lists, tmp_path):
    first = Stopped(INTERRUPTIONS[2], "pgp-passphrase", "rotate", log=tmp_path / "first.log")
    try:
        second = run_mailman("pgp-passphrase", "rotate")
        assert second.returncode == 1
        assert "Another rotation of the passphrase is running" in second.stderr
        status, _ = first.go_on()
        assert status == 0
    finally:
        if first.process.poll() is None:
            first.kill()
    assert not files.pending.exists()


def test_a_key_stored_by_a_process_started_before_the_rotation_gets_the_new_passphrase(
        files, lists, gpg, tmp_path):
    # A process started before the rotation imports a key for a new list; it stops just
    # before it takes the lock that orders the writers of list keys.
    key_file = tmp_path / "dog.asc"
    key_file.write_text(gpg.export_secret(gpg.generate("Dog List <dog@example.com>")))
    run_mailman("create", "dog@example.com")
    lock = Interruption("lock", "mailman_pgp.model.list_manager:lock_list_keys", "before")
    importer = Stopped(lock, "pgp-key", "import", "dog@example.com", str(key_file),
                       log=tmp_path / "import.log")
    # The rotation stops amid its transaction, holding that lock.
    rotation = Stopped(INTERRUPTIONS[3], "pgp-passphrase", "rotate",
                       log=tmp_path / "rotate.log")
    try:
        importer.process.stdin.write(b"\n")
        importer.process.stdin.flush()
        wait_for_a_lock_waiter()
        # The importer now waits for the lock; the rotation commits and finishes.
        status, _ = rotation.go_on()
        assert status == 0, (tmp_path / "rotate.log").read_text()
        assert importer.process.wait(timeout=TIMEOUT) == 0, \
            (tmp_path / "import.log").read_text()
    finally:
        for child in (importer, rotation):
            if child.process.poll() is None:
                child.kill()
    new = read_first_line(files.current)
    assert all(opening_passphrase(stored, [new]) == new for stored in stored_keys().values())
    assert set(stored_keys()) == {"ant.example.com", "bee.example.com", "cat.example.com",
                                  "dog.example.com"}
    posts, _ = lists
    posts.update(encrypted_posts(gpg, ["dog.example.com"]))
    assert_lists_work(getUtility(IPGPListManager), gpg, posts)


def test_a_key_stored_while_a_rotation_moves_its_passphrase_gets_the_new_one(
        files, lists, gpg, monkeypatch):
    # The rotation has committed the re-encrypted keys; its new passphrase is still only
    # in the pending file. This process stores a list key, and the rotation moves the new
    # passphrase into the passphrase file and removes the pending file between the two
    # files' reads: the key must still be protected with the new passphrase.
    old = read_first_line(files.current)
    rotation = Stopped(INTERRUPTIONS[4], "pgp-passphrase", "rotate",
                       log=files.pending.parent / "rotate.log")
    original = passphrase_module.read_passphrase
    reads = []

    def read_then_finish_the_rotation(path):
        passphrase = original(path)
        reads.append(path)
        if len(reads) == 1:
            status, _ = rotation.go_on()
            assert status == 0
        return passphrase

    try:
        monkeypatch.setattr(passphrase_module, "read_passphrase",
                            read_then_finish_the_rotation)
        make_pgp_lists("dog")
    finally:
        monkeypatch.undo()
        if rotation.process.poll() is None:
            rotation.kill()
    assert rotation.process.returncode == 0  # it finished amid the reads
    assert not files.pending.exists()
    new = read_first_line(files.current)
    assert new != old
    assert opening_passphrase(stored_keys()["dog.example.com"], [old, new]) == new
    posts, _ = lists
    posts.update(encrypted_posts(gpg, ["dog.example.com"]))
    assert_lists_work(getUtility(IPGPListManager), gpg, posts)


def test_a_key_stored_with_the_old_passphrase_meanwhile_is_reencrypted_too(
        files, lists, gpg, tmp_path):
    # A process stores a list key: it has taken the lock that orders the writers of list
    # keys and read the passphrase (the old one) when it stops. A rotation then writes its
    # pending file and waits for that lock; the key is stored with the old passphrase, and
    # the rotation, once it has the lock, re-encrypts it with the others.
    key_file = tmp_path / "dog.asc"
    key_file.write_text(gpg.export_secret(gpg.generate("Dog List <dog@example.com>")))
    run_mailman("create", "dog@example.com")
    old = read_first_line(files.current)
    read = Interruption("read", "mailman_pgp.config.settings:PGPConfig.read_passphrases",
                        "after")
    importer = Stopped(read, "pgp-key", "import", "dog@example.com", str(key_file),
                       log=tmp_path / "import.log")
    lock = Interruption("lock", "mailman_pgp.app.passphrase_rotation:lock_list_keys",
                        "before")
    rotation = Stopped(lock, "pgp-passphrase", "rotate", log=tmp_path / "rotate.log")
    try:
        assert files.pending.exists()
        rotation.process.stdin.write(b"\n")
        rotation.process.stdin.flush()
        time.sleep(0.5)
        assert rotation.process.poll() is None  # waiting for the lock
        status, _ = importer.go_on()
        assert status == 0, (tmp_path / "import.log").read_text()
        assert rotation.process.wait(timeout=TIMEOUT) == 0, \
            (tmp_path / "rotate.log").read_text()
        assert "4 list keys re-encrypted" in rotation.process.stdout.read().decode()
    finally:
        for child in (importer, rotation):
            if child.process.poll() is None:
                child.kill()
    new = read_first_line(files.current)
    assert new != old
    assert all(opening_passphrase(stored, [new]) == new for stored in stored_keys().values())
    posts, _ = lists
    posts.update(encrypted_posts(gpg, ["dog.example.com"]))
    assert_lists_work(getUtility(IPGPListManager), gpg, posts)


def test_a_rotation_while_mailman_runs_on_the_host_says_to_restart_it(files, lists):
    done = run_mailman("pgp-passphrase", "rotate")
    assert done.returncode == 0, done.stderr
    assert "restart Mailman" not in done.stderr
    # The master's lock, held by a live process of this host, as `mailman start` holds it.
    master = Lock(config.LOCK_FILE, lifetime=timedelta(minutes=5))
    master.lock()
    try:
        done = run_mailman("pgp-passphrase", "rotate")
    finally:
        master.unlock()
    assert done.returncode == 0, done.stderr
    assert "Mailman is running on this host" in done.stderr
    assert "restart Mailman now (mailman restart)" in done.stderr


def test_check_says_which_passphrase_opens_each_key(files, lists, tmp_path):
    done = run_mailman("pgp-passphrase", "check")
    assert done.returncode == 0, done.stderr
    assert "ant.example.com: the passphrase in force" in done.stdout
    Stopped(INTERRUPTIONS[4], "pgp-passphrase", "rotate", log=tmp_path / "rotate.log").kill()
    done = run_mailman("pgp-passphrase", "check")
    assert done.returncode == 0, done.stderr
    assert "ant.example.com: the new passphrase of an unfinished rotation" in done.stdout
