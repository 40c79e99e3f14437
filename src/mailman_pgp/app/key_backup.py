"""A list's secret key out of the plugin and into it: backups, and lists moved from elsewhere.

Only the site administrator does this, through Mailman's command line (``mailman pgp-key``,
`mailman_pgp.commands.cli_pgp_key`); no REST resource offers it.

* `export_list_key` writes the list's secret key to a new file (mode 0600), ASCII-armored:
  as a transferable secret key (``PGP PRIVATE KEY BLOCK``, what ``gpg --import`` reads),
  or, with a passphrase, that key encrypted with the passphrase (``PGP MESSAGE``, what
  ``gpg --decrypt`` opens, and `open_key_file` reads back).
* `import_list_key` makes a Mailman list a PGP list with a key made elsewhere (GnuPG, a
  Schleuder list's keyring, the 2017 mailman-pgp plugin's PGPy key files, a backup made
  by `export_list_key`), or replaces the key of a PGP list. The key must be one secret key
  whose secret material is not itself protected by a passphrase, valid now, and able to
  sign and to decrypt, which is tried (`check_list_key`) before anything is stored; it is
  stored protected with the plugin's passphrase, like a key the list generated.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from mailman.interfaces.mailinglist import IMailingList
from public import public
from zope.component import getUtility
from zope.event import notify

from mailman_pgp.app.lists import POSTING_CHAIN, POSTING_PIPELINE
from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.events import ListKeyCreatedEvent
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import (
    SOP,
    DecryptionError,
    KeyParseError,
    KeyUnusable,
    SecretKey,
    SignatureStatus,
    SigningError,
    decrypt_content,
    load_secret_key,
    sign_detached,
    verify_detached,
)
from mailman_pgp.openpgp.errors import CommandUnavailable
from mailman_pgp.openpgp.process import Completed, PipeIn, minimal_env, run

log = logging.getLogger("mailman.plugins")

# More than any real key holds, certifications by hundreds of people included; a file
# larger than this is refused before it is parsed.
MAX_KEY_FILE = 1024 * 1024
PROBE = b"A PGP list's key, checked before it is stored.\n"
_MESSAGE_ARMOR = b"-----BEGIN PGP MESSAGE-----"


@public
class KeyBackupError(PGPError):
    """A key cannot be exported to, or imported from, a file; the sentence says why."""


@public
class PassphraseNeeded(KeyBackupError):
    """The key file is protected with a passphrase, and none was given."""


@public
@dataclass(frozen=True)
class ImportedKey:
    """What `import_list_key` did: the key now in force, the one it replaced (None when the
    list became a PGP list), and what the administrator should know (``notes``)."""

    list_id: str
    fingerprint: str
    replaced: str | None
    notes: tuple[str, ...] = ()


@public
def export_list_key(list_id: str, path: Path, *, passphrase: str | None = None) -> str:
    """Write the secret key of the PGP list ``list_id`` to the new file ``path``.

    ASCII-armored, encrypted with ``passphrase`` if one is given. ``path`` must not exist:
    it is created with mode 0600, and never follows a symbolic link. Returns the key's
    fingerprint; raises `KeyBackupError` saying what is wrong.
    """
    pgp_lists = getUtility(IPGPListManager)
    pgp_list = pgp_lists.get(list_id)
    if pgp_list is None:
        raise KeyBackupError(f"{list_id} is not a PGP list.")
    key = pgp_lists.secret_key(pgp_list)
    data = key.protect(passphrase) if passphrase else _armored_secret(key)
    write_new_file(path, data)
    log.info("PGP plugin: exported the secret key %s of %s to %s (%s)", key.fingerprint,
             list_id, path, "protected with a passphrase" if passphrase else "unprotected")
    return key.fingerprint


@public
def write_new_file(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 and write ``data`` to it, synced.

    Refused (`KeyBackupError`) when anything is at ``path`` already, a symbolic link
    included, or when its directory does not exist; a file left half-written by an error
    is removed.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        handle = os.open(path, flags, 0o600)
    except FileExistsError:
        raise KeyBackupError(f"{path} exists already; name a new file.") from None
    except OSError as error:
        raise KeyBackupError(f"{path} cannot be created: {error.strerror}.") from None
    try:
        with os.fdopen(handle, "wb") as fp:
            if not stat.S_ISREG(os.fstat(fp.fileno()).st_mode):
                raise KeyBackupError(f"{path} is not a regular file.")
            os.fchmod(fp.fileno(), 0o600)
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@public
def read_key_file(path: Path) -> bytes:
    """The bytes of the key file ``path``: a regular file of at most `MAX_KEY_FILE` bytes."""
    try:
        with open(path, "rb") as fp:
            status = os.fstat(fp.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise KeyBackupError(f"{path} is not a regular file.")
            data = fp.read(MAX_KEY_FILE + 1)
    except OSError as error:
        raise KeyBackupError(f"{path} cannot be read: {error.strerror}.") from None
    if len(data) > MAX_KEY_FILE:
        raise KeyBackupError(
            f"{path} is larger than {MAX_KEY_FILE // 1024} KB, more than one list key holds.")
    return data


@public
def is_protected(data: bytes) -> bool:
    """Whether ``data`` is a key encrypted with a passphrase, as `export_list_key` writes it
    with one (an OpenPGP message, armored or binary), rather than a key."""
    if _MESSAGE_ARMOR in data:
        return True
    # Binary: the first packet is a symmetric-key encrypted session key (tag 3), in the new
    # packet format (0xC3) or the old one (0x8C to 0x8F).
    return bool(data) and (data[0] == 0xC3 or 0x8C <= data[0] <= 0x8F)


@public
def open_key_file(data: bytes, passphrase: str | None = None) -> SecretKey:
    """The secret key in ``data``: a key, or a key encrypted with ``passphrase``.

    Raises `PassphraseNeeded` for an encrypted key without ``passphrase``, `KeyBackupError`
    for anything that is not one readable secret key.
    """
    if is_protected(data):
        if passphrase is None:
            raise PassphraseNeeded(
                "The key file is encrypted with a passphrase; give it (--passphrase-file or"
                " --ask-passphrase).")
        try:
            return SecretKey.unprotect(data, passphrase)
        except KeyParseError:
            raise KeyBackupError(
                "The key file cannot be opened with this passphrase (or it is damaged).") \
                from None
    try:
        return load_secret_key(data)
    except KeyParseError as error:
        raise KeyBackupError(
            f"The key file does not hold one readable OpenPGP secret key: {error} Export"
            " exactly one key with its secret parts (gpg --armor --export-secret-keys"
            " FINGERPRINT).") from None


@public
def check_list_key(key: SecretKey, sop: SOP | None = None) -> None:
    """Raise `KeyBackupError` unless ``key`` can be a list's key: valid now, able to sign
    and to encrypt, its secret parts usable without a passphrase.

    Tried for real: a signature made with it (as the list signs what it delivers) must
    verify, and a message encrypted to it by the SOP command (as subscribers' clients
    encrypt) must decrypt with it.
    """
    sop = sop or pgp_config().sop()
    try:
        key.certificate.check_usable()
        key.certificate.encryption_probe()
    except KeyUnusable as error:
        raise KeyBackupError(f"This key cannot be a list's key: {error}") from None
    try:
        signature = sign_detached(PROBE, key)
        signed = verify_detached(PROBE, signature.armor, [key.certificate], sop=sop)
    except SigningError:
        signed = None
    if signed is None or signed.status is not SignatureStatus.GOOD:
        raise KeyBackupError(
            f"The key {key.fingerprint} cannot sign: its secret parts are protected by a"
            " passphrase of their own, or missing (a key on a smartcard, or exported with"
            " --export-secret-subkeys). Remove the passphrase (gpg --passwd, leaving the new"
            " one empty), then export the key again.")
    try:
        decrypted = decrypt_content(_encrypted_by_sop(PROBE, key, sop), key, sop=sop)
    except DecryptionError:
        decrypted = None
    if decrypted != PROBE:
        raise KeyBackupError(
            f"The key {key.fingerprint} cannot decrypt: the secret part of its encryption"
            " subkey is protected by a passphrase of its own, or missing. Remove the"
            " passphrase (gpg --passwd, leaving the new one empty), then export the key"
            " again.")


@public
def import_list_key(mlist: IMailingList, key: SecretKey, *, replace: bool = False,
                    sop: SOP | None = None) -> ImportedKey:
    """Make ``key`` the key pair of ``mlist``, stored protected with the plugin's passphrase.

    A list that is not a PGP list becomes one (its posting chain and pipeline switched, as
    `make_pgp_list` does) and `ListKeyCreatedEvent` announces the key. A PGP list's key is
    replaced only with ``replace``, and then announced the same way. The key is checked
    first (`check_list_key`); a key that another PGP list has is refused. Raises
    `KeyBackupError` saying why; the caller commits.
    """
    pgp_lists = getUtility(IPGPListManager)
    pgp_list = pgp_lists.get(mlist.list_id)
    if pgp_list is not None and not replace:
        raise KeyBackupError(
            f"{mlist.list_id} is a PGP list already, with the key {pgp_list.fingerprint}; to"
            " replace its key, say so (--replace), after exporting the one it has.")
    for other in pgp_lists.lists:
        if other.fingerprint == key.fingerprint and other.list_id != mlist.list_id:
            raise KeyBackupError(
                f"The key {key.fingerprint} is the key of {other.list_id} already; each PGP"
                " list has its own key.")
    check_list_key(key, sop)
    notes = []
    if mlist.posting_address.lower() not in key.certificate.emails:
        notes.append(
            f"The key has no user ID with the list's address {mlist.posting_address}:"
            " subscribers' clients may warn when they encrypt to it (add one with gpg"
            " --quick-add-uid before importing, if they do).")
    if pgp_list is None:
        pgp_list = pgp_lists.create(mlist.list_id, key)
        mlist.posting_chain = POSTING_CHAIN
        mlist.posting_pipeline = POSTING_PIPELINE
        replaced = None
    else:
        replaced = pgp_list.fingerprint
        pgp_lists.replace_key(pgp_list, key)
        if replaced != key.fingerprint:
            notes.append(
                f"Posts encrypted to the key it replaced ({replaced}) that are still held or"
                " queued can no longer be read; subscribers need the new public key.")
    notify(ListKeyCreatedEvent(mlist, key.fingerprint))
    log.info("PGP plugin: imported the key %s for %s%s", key.fingerprint, mlist.list_id,
             f" in place of {replaced}" if replaced else "")
    return ImportedKey(mlist.list_id, key.fingerprint, replaced, tuple(notes))


def _armored_secret(key: SecretKey) -> bytes:
    """The transferable secret key, ASCII-armored (``sop armor``)."""
    # TODO(keys.py): take this from `SecretKey` once openpgp/ offers the armored secret key;
    # until then the SOP command armors the key it is handed through a pipe.
    done = _sop(pgp_config().sop(), "armor", stdin=key._secret())
    if done.returncode != 0 or b"PRIVATE KEY BLOCK" not in done.stdout:
        raise KeyBackupError("The SOP command could not armor the key; nothing was written.")
    return done.stdout


def _encrypted_by_sop(data: bytes, key: SecretKey, sop: SOP) -> bytes:
    done = _sop(sop, "encrypt", PipeIn(key.certificate.armor.encode("ascii")), stdin=data)
    if done.returncode != 0:
        raise KeyBackupError(
            f"The SOP command cannot encrypt to the key {key.fingerprint}: it cannot be a"
            " list's key.")
    return done.stdout


def _sop(sop: SOP, *argv: str | PipeIn, stdin: bytes) -> Completed:
    try:
        return run([sop.command, *argv], stdin=stdin, timeout=sop.timeout, env=minimal_env())
    except CommandUnavailable as error:
        raise KeyBackupError(str(error)) from None
