"""Test support for list keys at rest (not a test module): PGP lists made through Mailman,
posts their subscribers' GnuPG encrypted to them, and the proof that a list still works:
it decrypts such a post and signs what GnuPG verifies.

Also the passphrase files of the test run, put back after a test that rotates them, and the
points at which a rotation is interrupted (`INTERRUPTIONS`), shared by the tests that raise
there in this process and those that kill a child process there (`rotation_child`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from zope.component import getUtility

from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.app.passphrase_rotation import LOCK_NAME, PassphraseFiles, passphrase_files
from mailman_pgp.config import pgp_config
from mailman_pgp.config.passphrase import temporary_files
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import KeyParseError, SecretKey, decrypt_content, sign_detached
from mailman_pgp.testing.gnupg import GnuPGClient

POST = b"A post for the list, encrypted by a subscriber's GnuPG.\n"
SIGNED = b"What the list signs.\n"


def make_pgp_lists(*names: str) -> list[str]:
    """Mailman lists ``NAME@example.com`` made PGP lists, committed; their list IDs."""
    with transaction():
        for name in names:
            make_pgp_list(create_list(f"{name}@example.com"))
    return [f"{name}.example.com" for name in names]


def encrypted_posts(gpg: GnuPGClient, list_ids: Iterable[str]) -> dict[str, bytes]:
    """`POST` encrypted by GnuPG to each list's public key."""
    posts = {}
    for list_id in list_ids:
        pgp_list = getUtility(IPGPListManager).get(list_id)
        gpg.import_key(pgp_list.public_key)
        posts[list_id] = gpg.encrypt(POST, pgp_list.fingerprint)
    config.db.abort()
    return posts


def assert_lists_work(manager, gpg: GnuPGClient, posts: dict[str, bytes]) -> None:
    """Each list, its key opened by ``manager``, decrypts its post and signs for GnuPG."""
    config.db.abort()  # see what other processes committed
    sop = pgp_config().sop()
    for list_id, post in posts.items():
        pgp_list = manager.get(list_id)
        key = manager.secret_key(pgp_list)
        assert decrypt_content(post, key, sop=sop) == POST, list_id
        signature = sign_detached(SIGNED, key)
        assert gpg.verify_detached(signature.armor, SIGNED).verdict == "GOODSIG", list_id
    config.db.abort()


def stored_keys() -> dict[str, bytes]:
    """Each PGP list's stored (protected) secret key, as committed."""
    config.db.abort()
    keys = {pgp_list.list_id: bytes(pgp_list.protected_secret_key)
            for pgp_list in getUtility(IPGPListManager).lists}
    config.db.abort()
    return keys


def opening_passphrase(stored: bytes, passphrases: Iterable[str]) -> str | None:
    """The first of ``passphrases`` that opens ``stored``, or None."""
    for passphrase in passphrases:
        try:
            SecretKey.unprotect(stored, passphrase)
        except KeyParseError:
            continue
        return passphrase
    return None


def read_first_line(path: Path) -> str:
    return path.read_text().splitlines()[0].strip()


@contextmanager
def passphrase_files_restored() -> Iterator[PassphraseFiles]:
    """The test run's passphrase files, put back as they were when the block ends.

    Every test of the session shares one ``$var_dir`` and the passphrase in it; the list
    manager of this process is given back the passphrases it had.
    """
    files = passphrase_files()
    current = files.current.read_bytes()
    manager = getUtility(IPGPListManager)
    known = manager._passphrases
    try:
        yield files
    finally:
        files.current.write_bytes(current)
        os.chmod(files.current, 0o600)
        for path in [files.pending, files.pending.parent / LOCK_NAME,
                     *temporary_files(files.pending), *temporary_files(files.current)]:
            path.unlink(missing_ok=True)
        manager._passphrases = known


# -- where a rotation is interrupted ------------------------------------------------------


@dataclass(frozen=True)
class Interruption:
    """Stop a process ``when`` ("before" or "after") the ``call``-th call of ``target``
    (``module:function`` or ``module:Class.method``); for a rotation, what the files and
    the database hold then."""

    name: str
    target: str
    when: str
    call: int = 1
    # What holds when it stops there: the pending file exists; the stored keys have the
    # new passphrase; the passphrase file has it; a temporary file is left beside the
    # pending file or the passphrase file.
    pending_written: bool = False
    keys_reencrypted: bool = False
    file_replaced: bool = False
    temporary_left: bool = False

    def install(self, stop: Callable[[], None]) -> Callable[[], None]:
        """Wrap ``target`` so that ``stop`` runs at the point; returns the undo."""
        module_name, attributes = self.target.split(":")
        *owners, function_name = attributes.split(".")
        module = importlib.import_module(module_name)
        for owner in owners:
            module = getattr(module, owner)
        original = getattr(module, function_name)
        calls = []

        def wrapper(*args, **kws):
            calls.append(1)
            here = len(calls) == self.call
            if here and self.when == "before":
                stop()
            result = original(*args, **kws)
            if here and self.when == "after":
                stop()
            return result

        setattr(module, function_name, wrapper)
        return lambda: setattr(module, function_name, original)


ROTATION = "mailman_pgp.app.passphrase_rotation"
PASSPHRASE_FILES = "mailman_pgp.config.passphrase"

# In the order a rotation reaches them; three lists, so that one is re-encrypted and the
# next is not when the transaction stops.
INTERRUPTIONS = [
    Interruption("before the pending file is written", f"{ROTATION}:write_pending", "before"),
    # The temporary file is written; it is not linked to the pending file's name yet.
    Interruption("while the pending file is written", f"{PASSPHRASE_FILES}:_write_temporary",
                 "after", temporary_left=True),
    Interruption("after the pending file is written", f"{ROTATION}:write_pending", "after",
                 pending_written=True),
    Interruption("amid the re-encryption, uncommitted", f"{ROTATION}:reencrypt_key", "after",
                 call=2, pending_written=True),
    Interruption("after the re-encryption is committed", f"{ROTATION}:install_passphrase",
                 "before", pending_written=True, keys_reencrypted=True),
    Interruption("while the passphrase file is replaced",
                 f"{PASSPHRASE_FILES}:_write_temporary", "after", call=2,
                 pending_written=True, keys_reencrypted=True, temporary_left=True),
    Interruption("after the passphrase file is replaced", f"{ROTATION}:forget_pending",
                 "before", pending_written=True, keys_reencrypted=True, file_replaced=True),
]


def assert_stopped_as_said(interruption: Interruption, files: PassphraseFiles,
                           old: str) -> None:
    """The files and the stored keys are what ``interruption`` says they are."""
    assert files.pending.exists() is interruption.pending_written
    new = read_first_line(files.pending) if files.pending.exists() else None
    assert (read_first_line(files.current) == new) is interruption.file_replaced
    wanted = new if interruption.keys_reencrypted else old
    assert all(opening_passphrase(stored, [old, new or old]) == wanted
               for stored in stored_keys().values())
    temporaries = temporary_files(files.pending) + temporary_files(files.current)
    assert bool(temporaries) is interruption.temporary_left
