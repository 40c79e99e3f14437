"""Rotating the passphrase that protects every list's secret key, losing none on the way.

A rotation goes in steps, each of which leaves every stored key openable by every
Mailman process, whatever stops it (an exception, a kill, a power cut):

1. `write_pending`: the new passphrase goes to the *pending* file
   (``$var_dir/pgp/list-key-passphrase.pending``, mode 0600, synced), before any key is
   protected with it. From then on, every process that starts reads both files
   (`PGPConfig.passphrases`), opens a key with either, and protects a new key with the
   pending one; a process that started before opens with what the files hold when its
   own passphrase fails (`PGPListManager.secret_key`).
2. `reencrypt_keys`: in one database transaction, under the lock that key writers take
   (`lock_list_keys`), every key is protected with the new passphrase; a key that has it
   already (stored by a process during the rotation, or by a run that was stopped) is
   left. The keys were opened and re-encrypted beforehand, outside the lock
   (`plan_rotation`); only a key that changed since is opened again under it. Committed
   whole or not at all: the old and the new passphrase are both still in files.
3. `install_passphrase`: the new passphrase replaces the old one in the passphrase file
   (written beside it, synced, renamed over it).
4. `forget_pending`: the pending file is removed; the rotation is over.

Running the rotation again after any stop finishes it with the passphrase it had chosen
(the pending file): keys already re-encrypted are left as they are. Two rotations on one
host exclude each other (a lock file, released by the kernel if a process dies); two on
hosts sharing one database are ordered by the database lock, and the second refuses
keys it cannot open instead of guessing.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from mailman.config import config
from public import public

from mailman_pgp.config import ConfigError, pgp_config
from mailman_pgp.config.passphrase import (
    Passphrases,
    create_passphrase_file,
    generate_passphrase,
    pending_passphrase_path,
    read_passphrase,
    read_passphrases,
    remove_passphrase_file,
    replace_passphrase_file,
    temporary_files,
)
from mailman_pgp.errors import PGPError
from mailman_pgp.model import PGPMailingList
from mailman_pgp.model.list_manager import lock_list_keys
from mailman_pgp.openpgp import KeyParseError, SecretKey

log = logging.getLogger("mailman.plugins")

LOCK_NAME = "passphrase-rotation.lock"


@public
class RotationRefused(PGPError):
    """The rotation cannot be done, or finished, now; the sentence says why and what to do."""


@public
class KeyState(Enum):
    """Which passphrase a stored list key opens with."""

    current = "the passphrase in force"
    pending = "the new passphrase of an unfinished rotation"
    neither = "no passphrase the plugin has"


@public
@dataclass(frozen=True)
class PassphraseFiles:
    """The passphrase file (``current``) and a rotation's pending file, as this host has them."""

    current: Path
    pending: Path

    @property
    def lock(self) -> Path:
        return self.pending.parent / LOCK_NAME


@public
@dataclass(frozen=True)
class Rotation:
    """What a run of `rotate_passphrase` did.

    ``reencrypted``: the lists whose key it protected with the new passphrase;
    ``unchanged``: those that had it already; ``resumed``: it finished a rotation that
    an earlier run had started; ``finished``: the new passphrase is in force (False
    after ``prepare``).
    """

    files: PassphraseFiles
    reencrypted: tuple[str, ...]
    unchanged: tuple[str, ...]
    resumed: bool
    finished: bool


@public
@dataclass(frozen=True)
class PlannedKey:
    """A stored key as `plan_rotation` saw it, and its re-encryption (None: has the new one)."""

    row_id: int
    list_id: str
    stored: bytes
    reencrypted: bytes | None


@public
def passphrase_files() -> PassphraseFiles:
    """This host's passphrase file and pending file, as the plugin's settings name them.

    The passphrase file is taken where its name leads (symbolic links resolved), so that a
    rotation replaces the file itself rather than a link to it.
    """
    settings = pgp_config()
    pending = settings.pending_passphrase_path or pending_passphrase_path(config.VAR_DIR)
    return PassphraseFiles(Path(os.path.realpath(settings.passphrase_path)), pending)


@public
def rotate_passphrase(new_passphrase: str | None = None, *,
                      prepare: bool = False) -> Rotation:
    """Protect every list key with a new passphrase, and make it the one in force.

    ``new_passphrase`` is what the administrator chose (from a file); by default one is
    generated, as on the first start. A rotation that was stopped is finished instead,
    with the passphrase it had chosen; a different ``new_passphrase`` is then refused.
    With ``prepare``, only step 1 is done: the pending file can then be copied to the
    other hosts that share the database before the keys are re-encrypted.

    Raises `RotationRefused`, having changed nothing, when another rotation runs on this
    host, a passphrase file cannot be written, a stored key opens with neither passphrase,
    or the new passphrase is the one in force. Commits the database transaction.
    """
    files = passphrase_files()
    with _rotation_lock(files):
        _check_writable(files)
        try:
            held = read_passphrases(files.current, files.pending)
        except ConfigError as error:
            raise RotationRefused(str(error)) from None
        old, pending = held.current, held.pending
        resumed = pending is not None
        if pending is not None:
            if new_passphrase is not None and new_passphrase != pending:
                raise RotationRefused(
                    f"A rotation of the passphrase was started and not finished ({files.pending}"
                    " exists). Finish it first: run the command again without a new"
                    " passphrase file.")
            new = pending
        else:
            new = new_passphrase if new_passphrase is not None else generate_passphrase()
            if new == old:
                raise RotationRefused(
                    f"The new passphrase is the one in force already ({files.current}).")
        plan = plan_rotation(Passphrases(old, new if resumed else None), new)
        for leftover in temporary_files(files.pending) + temporary_files(files.current):
            leftover.unlink(missing_ok=True)
        if not resumed:
            write_pending(files, new)
            log.info("PGP plugin: rotating the list-key passphrase: the new one is in %s",
                     files.pending)
        if prepare:
            return Rotation(files, (), (), resumed, finished=False)
        reencrypted, unchanged = reencrypt_keys(plan, Passphrases(old, new), new)
        install_passphrase(files, new)
        forget_pending(files)
    log.info(
        "PGP plugin: rotated the list-key passphrase in %s: %d list keys re-encrypted, "
        "%d had the new passphrase already.", files.current, len(reencrypted), len(unchanged))
    return Rotation(files, reencrypted, unchanged, resumed, finished=True)


@public
def key_states() -> dict[str, KeyState]:
    """Each PGP list's ID and the passphrase in this host's files that opens its key."""
    files = passphrase_files()
    try:
        held = read_passphrases(files.current, files.pending)
    except ConfigError as error:
        raise RotationRefused(str(error)) from None
    current, pending = held.current, held.pending
    states = {}
    try:
        for pgp_list in config.db.store.query(PGPMailingList).order_by(PGPMailingList.list_id):
            stored = bytes(pgp_list.protected_secret_key)
            if _opens(stored, current):
                states[pgp_list.list_id] = KeyState.current
            elif pending is not None and _opens(stored, pending):
                states[pgp_list.list_id] = KeyState.pending
            else:
                states[pgp_list.list_id] = KeyState.neither
    finally:
        config.db.abort()
    return states


# -- the steps, in the order a rotation takes them ----------------------------------------


@public
def plan_rotation(passphrases: Passphrases, new: str) -> list[PlannedKey]:
    """Open every stored key (with the pending passphrase first, if there is one) and
    protect it with ``new``; `RotationRefused` naming the lists whose key opens with
    neither. Reads only, outside any lock: `reencrypt_keys` uses what still holds."""
    planned: list[PlannedKey] = []
    lost: list[str] = []
    try:
        for pgp_list in config.db.store.query(PGPMailingList).order_by(PGPMailingList.list_id):
            stored = bytes(pgp_list.protected_secret_key)
            try:
                reencrypted = _reencrypted(stored, passphrases, new)
            except KeyParseError:
                lost.append(pgp_list.list_id)
                continue
            planned.append(PlannedKey(pgp_list.id, pgp_list.list_id, stored, reencrypted))
    finally:
        # End the read transaction: the re-encryption starts a new one under the lock.
        config.db.abort()
    if lost:
        raise RotationRefused(_unopenable(lost))
    return planned


@public
def write_pending(files: PassphraseFiles, new: str) -> None:
    """Step 1: the new passphrase in the pending file, synced, before any key uses it."""
    if not create_passphrase_file(files.pending, new):
        raise RotationRefused(
            f"Another rotation wrote {files.pending} meanwhile; nothing was changed.")


@public
def reencrypt_keys(plan: list[PlannedKey], passphrases: Passphrases,
                   new: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Step 2: every stored key protected with ``new``, in one committed transaction.

    The lists re-encrypted and the lists whose key had ``new`` already. Rolls back and
    raises `RotationRefused` if a key stored since the plan opens with neither passphrase.
    """
    store = config.db.store
    planned = {entry.row_id: entry for entry in plan}
    reencrypted: list[str] = []
    unchanged: list[str] = []
    try:
        lock_list_keys(store, exclusive=True)
        for pgp_list in store.query(PGPMailingList).order_by(PGPMailingList.list_id):
            if reencrypt_key(pgp_list, planned.get(pgp_list.id), passphrases, new):
                reencrypted.append(pgp_list.list_id)
            else:
                unchanged.append(pgp_list.list_id)
            store.flush()
        config.db.commit()
    except BaseException:
        config.db.abort()
        raise
    return tuple(reencrypted), tuple(unchanged)


@public
def reencrypt_key(pgp_list: PGPMailingList, planned: PlannedKey | None,
                  passphrases: Passphrases, new: str) -> bool:
    """Protect one list's stored key with ``new``; whether it had to be changed."""
    stored = bytes(pgp_list.protected_secret_key)
    if planned is not None and planned.stored == stored:
        reencrypted = planned.reencrypted
    else:
        # Stored or replaced since the plan was made (by a process of this or another host).
        try:
            reencrypted = _reencrypted(stored, passphrases, new)
        except KeyParseError:
            raise RotationRefused(_unopenable([pgp_list.list_id])) from None
    if reencrypted is None:
        return False
    pgp_list.protected_secret_key = reencrypted
    return True


@public
def install_passphrase(files: PassphraseFiles, new: str) -> None:
    """Step 3: the new passphrase replaces the old one in the passphrase file."""
    if read_passphrase(files.current) != new:
        replace_passphrase_file(files.current, new)


@public
def forget_pending(files: PassphraseFiles) -> None:
    """Step 4: the pending file removed; the new passphrase alone is in force."""
    remove_passphrase_file(files.pending)


# -- helpers ------------------------------------------------------------------------------


def _reencrypted(stored: bytes, passphrases: Passphrases, new: str) -> bytes | None:
    """``stored`` protected with ``new``; None if it has ``new`` already. `KeyParseError`
    if neither passphrase opens it."""
    # The new passphrase first: during a rotation that was stopped, most keys have it.
    for passphrase in sorted(passphrases.all, key=lambda p: p != new):
        try:
            key = SecretKey.unprotect(stored, passphrase)
        except KeyParseError:
            continue
        return None if passphrase == new else key.protect(new)
    raise KeyParseError("No passphrase opens this key.")


def _opens(stored: bytes, passphrase: str) -> bool:
    try:
        SecretKey.unprotect(stored, passphrase)
    except KeyParseError:
        return False
    return True


def _unopenable(list_ids: list[str]) -> str:
    return (
        f"The stored key of {', '.join(list_ids)} opens with neither the passphrase in force"
        " nor the new one, so nothing was changed. Import that list's key again (mailman"
        " pgp-key import --replace) or delete the list, then rotate."
    )


def _check_writable(files: PassphraseFiles) -> None:
    for directory in (files.current.parent, files.pending.parent):
        if directory.exists() and not os.access(directory, os.W_OK | os.X_OK):
            raise RotationRefused(
                f"This user cannot write in {directory}, where the rotation writes the"
                " passphrase; run the command as the user Mailman runs as.")
    if not files.current.is_file():
        raise RotationRefused(f"The passphrase file {files.current} is not a regular file.")


@contextmanager
def _rotation_lock(files: PassphraseFiles) -> Iterator[None]:
    files.lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle = os.open(files.lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationRefused(
                "Another rotation of the passphrase is running on this host; wait for it to"
                " finish.") from None
        yield
    finally:
        os.close(handle)
