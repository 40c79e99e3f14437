"""The manager of PGP lists, the one holder of the passphrase that opens their keys.

The passphrase can be rotated while Mailman runs (`mailman_pgp.app.passphrase_rotation`):
the rotation writes the new passphrase to a pending file, re-encrypts every stored key
with it in one transaction, then puts it in the passphrase file. So the manager

* opens a key with each passphrase it knows and, when none opens it, reads the files
  again (a rotation finished since this process started) and tries what they hold;
* protects a new key with the passphrase the files hold *now*, the pending one if a
  rotation has one, after taking the lock the rotation takes (`lock_list_keys`): a key
  is then either stored before the rotation reads the keys, and re-encrypted by it, or
  after the rotation has committed, with its new passphrase. Never with a passphrase
  that the rotation is about to throw away.
"""

import logging
from collections.abc import Iterator
from functools import lru_cache

from mailman.database.transaction import dbconnection
from public import public
from sqlalchemy import delete, text
from sqlalchemy.orm import Session
from zope.interface import implementer

from mailman_pgp.config import ConfigError, pgp_config
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.model.archive_key import PGPArchiveKey
from mailman_pgp.model.pgp_list import PGPMailingList
from mailman_pgp.model.seen_signature import forget_signatures
from mailman_pgp.model.withheld_notice import PGPWithheldNotice
from mailman_pgp.openpgp import KeyParseError, SecretKey

log = logging.getLogger("mailman.plugins")


@public
@implementer(IPGPListManager)
class PGPListManager:
    """See `IPGPListManager`."""

    def __init__(self, *passphrases: str) -> None:
        # The passphrases this process opens keys with, the one in force first.
        self._passphrases = tuple(passphrases)

    def __repr__(self) -> str:
        return "<PGPListManager>"

    @dbconnection
    def get(self, store, list_id: str) -> PGPMailingList | None:
        """See `IPGPListManager`."""
        return store.query(PGPMailingList).filter_by(list_id=list_id).one_or_none()

    @dbconnection
    def create(self, store, list_id: str, key: SecretKey) -> PGPMailingList:
        """See `IPGPListManager`."""
        pgp_list = PGPMailingList(list_id, key, self._protect(store, key))
        store.add(pgp_list)
        return pgp_list

    @dbconnection
    def replace_key(self, store, pgp_list: PGPMailingList, key: SecretKey) -> None:
        """Make ``key`` the key pair of ``pgp_list``, in place of the one it has.

        The list keeps everything else (its ``key_signers``, when it became a PGP list).
        The caller commits.
        """
        protected = self._protect(store, key)
        pgp_list.fingerprint = key.fingerprint
        pgp_list.public_key = key.certificate.armor
        pgp_list.protected_secret_key = protected

    @dbconnection
    def delete(self, store, list_id: str) -> None:
        """See `IPGPListManager`; the list's archive keys, the signatures it accepted and
        its withheld notices go too, so a new list of the same name starts with none."""
        pgp_list = self.get(list_id)
        if pgp_list is not None:
            store.delete(pgp_list)
        forget_signatures(list_id)
        store.execute(delete(PGPArchiveKey).where(PGPArchiveKey.list_id == list_id))
        store.execute(delete(PGPWithheldNotice).where(PGPWithheldNotice.list_id == list_id))

    @property
    @dbconnection
    def lists(self, store) -> Iterator[PGPMailingList]:
        """See `IPGPListManager`."""
        yield from store.query(PGPMailingList).order_by(PGPMailingList.list_id)

    def secret_key(self, pgp_list: PGPMailingList) -> SecretKey:
        """See `IPGPListManager`; kept opened in this process (see `_unprotect`).

        `KeyParseError` when no passphrase in this process or in the files opens it.
        """
        protected = bytes(pgp_list.protected_secret_key)
        key = _open(protected, self._passphrases)
        if key is not None:
            return key
        try:
            fresh = pgp_config().read_passphrases().all
        except ConfigError as error:
            log.error("PGP plugin: cannot read the list-key passphrase again: %s", error)
            fresh = ()
        tried = self._passphrases
        if fresh:
            # What the files hold now replaces what was read at start: a finished rotation
            # leaves the old passphrase nowhere but in this process's memory.
            self._passphrases = fresh
        key = _open(protected, tuple(p for p in fresh if p not in tried))
        if key is not None:
            return key
        raise KeyParseError(
            f"The secret key of {pgp_list.list_id} cannot be opened with the list-key"
            " passphrase: wrong passphrase or damaged data.")

    def _protect(self, store: Session, key: SecretKey) -> bytes:
        lock_list_keys(store)
        passphrases = pgp_config().read_passphrases()
        for passphrase in passphrases.all:
            if passphrase not in self._passphrases:
                self._passphrases = (*self._passphrases, passphrase)
        return key.protect(passphrases.newest)


@public
def lock_list_keys(store: Session, *, exclusive: bool = False) -> None:
    """Take the lock that orders the writers of stored list keys, until the transaction ends.

    Whoever stores a key takes it before reading the passphrase it protects the key with;
    a rotation takes it ``exclusive``, before it reads the keys it re-encrypts. On
    PostgreSQL it is a lock of the ``pgp_mailinglist`` table (``ROW EXCLUSIVE``, which a
    rotation's ``SHARE ROW EXCLUSIVE`` excludes, and which excludes it); on SQLite the
    database's write lock, which has one holder at a time; elsewhere, every row locked
    for update.
    """
    dialect = store.get_bind().dialect.name
    if dialect == "postgresql":
        mode = "SHARE ROW EXCLUSIVE" if exclusive else "ROW EXCLUSIVE"
        store.execute(text(f"LOCK TABLE pgp_mailinglist IN {mode} MODE"))
    elif dialect == "sqlite":
        # A write that changes nothing still takes SQLite's write lock for the transaction.
        store.execute(text("UPDATE pgp_mailinglist SET id = id WHERE 1 = 0"))
    else:
        store.execute(text("SELECT id FROM pgp_mailinglist FOR UPDATE")).all()


def _open(protected: bytes, passphrases: tuple[str, ...]) -> SecretKey | None:
    for passphrase in passphrases:
        try:
            return _unprotect(protected, passphrase)
        except KeyParseError:
            continue
    return None


# Unprotecting costs a deliberately slow key derivation (~45 ms); a runner needs the
# key for every message, so each process keeps the keys it opened. Keyed by the
# protected bytes, so a replaced key is opened afresh.
@lru_cache(maxsize=256)
def _unprotect(protected: bytes, passphrase: str) -> SecretKey:
    return SecretKey.unprotect(protected, passphrase)
