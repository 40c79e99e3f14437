"""The manager of subscribers' keys: one key per email address."""

from collections.abc import Iterable

from mailman.database.transaction import dbconnection
from public import public
from zope.interface import implementer

from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.model.address_key import PGPAddressKey
from mailman_pgp.openpgp import Certificate

# Addresses per query: SQLite limits bound parameters.
QUERY_CHUNK = 500


@public
@implementer(IPGPAddressKeyManager)
class PGPAddressKeyManager:
    """See `IPGPAddressKeyManager`."""

    def __repr__(self) -> str:
        return "<PGPAddressKeyManager>"

    @dbconnection
    def get(self, store, email: str) -> PGPAddressKey | None:
        """See `IPGPAddressKeyManager`."""
        return store.query(PGPAddressKey).filter_by(email=email.lower()).one_or_none()

    def confirmed_for(self, emails: Iterable[str]) -> dict[str, PGPAddressKey]:
        """See `IPGPAddressKeyManager`; one query per `QUERY_CHUNK` addresses."""
        return self._found(emails, PGPAddressKey.confirmed.is_(True))

    def keys_for(self, emails: Iterable[str]) -> dict[str, PGPAddressKey]:
        """See `IPGPAddressKeyManager`; one query per `QUERY_CHUNK` addresses."""
        return self._found(emails)

    @dbconnection
    def _found(self, store, emails: Iterable[str], *conditions) -> dict[str, PGPAddressKey]:
        wanted = sorted({email.lower() for email in emails})
        found: dict[str, PGPAddressKey] = {}
        for start in range(0, len(wanted), QUERY_CHUNK):
            chunk = wanted[start : start + QUERY_CHUNK]
            rows = store.query(PGPAddressKey).filter(PGPAddressKey.email.in_(chunk), *conditions)
            found.update((row.email, row) for row in rows)
        return found

    @dbconnection
    def add(self, store, email: str, certificate: Certificate, *,
            confirmed: bool) -> PGPAddressKey:
        """See `IPGPAddressKeyManager`."""
        key = PGPAddressKey(email, certificate, confirmed=confirmed)
        store.add(key)
        return key

    @dbconnection
    def delete(self, store, email: str) -> None:
        """See `IPGPAddressKeyManager`."""
        key = self.get(email)
        if key is not None:
            store.delete(key)
