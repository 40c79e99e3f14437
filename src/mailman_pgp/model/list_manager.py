"""The manager of PGP lists, the one holder of the passphrase that opens their keys."""

from collections.abc import Iterator
from functools import lru_cache

from mailman.database.transaction import dbconnection
from public import public
from zope.interface import implementer

from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.model.pgp_list import PGPMailingList
from mailman_pgp.openpgp import SecretKey


@public
@implementer(IPGPListManager)
class PGPListManager:
    """See `IPGPListManager`."""

    def __init__(self, passphrase: str) -> None:
        self._passphrase = passphrase

    def __repr__(self) -> str:
        return "<PGPListManager>"

    @dbconnection
    def get(self, store, list_id: str) -> PGPMailingList | None:
        """See `IPGPListManager`."""
        return store.query(PGPMailingList).filter_by(list_id=list_id).one_or_none()

    @dbconnection
    def create(self, store, list_id: str, key: SecretKey) -> PGPMailingList:
        """See `IPGPListManager`."""
        pgp_list = PGPMailingList(list_id, key, key.protect(self._passphrase))
        store.add(pgp_list)
        return pgp_list

    @dbconnection
    def delete(self, store, list_id: str) -> None:
        """See `IPGPListManager`."""
        pgp_list = self.get(list_id)
        if pgp_list is not None:
            store.delete(pgp_list)

    @property
    @dbconnection
    def lists(self, store) -> Iterator[PGPMailingList]:
        """See `IPGPListManager`."""
        yield from store.query(PGPMailingList).order_by(PGPMailingList.list_id)

    def secret_key(self, pgp_list: PGPMailingList) -> SecretKey:
        """See `IPGPListManager`; kept opened in this process (see `_unprotect`)."""
        return _unprotect(bytes(pgp_list.protected_secret_key), self._passphrase)


# Unprotecting costs a deliberately slow key derivation (~45 ms); a runner needs the
# key for every message, so each process keeps the keys it opened. Keyed by the
# protected bytes, so a replaced key is opened afresh.
@lru_cache(maxsize=256)
def _unprotect(protected: bytes, passphrase: str) -> SecretKey:
    return SecretKey.unprotect(protected, passphrase)
