"""A subscriber's public key, one per email address, in Mailman's database.

Keyed by the lower-cased address rather than by Mailman's address row: an
administrator may set a key before the address is known to Mailman, and the
posting flow looks keys up by the addresses it delivers to.
"""

from collections.abc import Iterable
from functools import lru_cache

from mailman.database.model import Model
from mailman.database.transaction import dbconnection
from mailman.database.types import SAText, SAUnicode
from mailman.utilities.datetime import now
from public import public
from sqlalchemy import Boolean, Column, DateTime, Integer

from mailman_pgp.openpgp import Certificate, load_certificate

QUERY_CHUNK = 500
MEMBER_KEYS_KEPT = 50_000


@public
class PGPAddressKey(Model):
    """The public key registered for one email address, and whether it is confirmed."""

    __tablename__ = "pgp_address_key"

    id = Column(Integer, primary_key=True)
    email = Column(SAUnicode, nullable=False, unique=True, index=True)
    fingerprint = Column(SAUnicode, nullable=False)
    public_key = Column(SAText, nullable=False)
    confirmed = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime, nullable=False)

    def __init__(self, email: str, certificate: Certificate, *, confirmed: bool) -> None:
        super().__init__()
        self.email = email.lower()
        self.replace(certificate, confirmed=confirmed)

    def __repr__(self) -> str:
        state = "confirmed" if self.confirmed else "unconfirmed"
        return f"<PGPAddressKey {self.email} {self.fingerprint} {state}>"

    def replace(self, certificate: Certificate, *, confirmed: bool) -> None:
        """Hold ``certificate`` instead of the current key."""
        self.fingerprint = certificate.fingerprint
        self.public_key = certificate.armor
        self.confirmed = confirmed
        self.updated_at = now()

    @classmethod
    @dbconnection
    def for_email(cls, store, email: str) -> "PGPAddressKey | None":
        """The key of ``email`` (any case), confirmed or not; None if there is none."""
        return store.query(cls).filter_by(email=email.lower()).one_or_none()

    @classmethod
    @dbconnection
    def confirmed_for(cls, store, emails: Iterable[str]) -> dict[str, "PGPAddressKey"]:
        """Lower-cased email to confirmed key, for those of ``emails`` that have one.

        One query per `QUERY_CHUNK` addresses (SQLite limits bound parameters).
        """
        wanted = sorted({email.lower() for email in emails})
        found = {}
        for start in range(0, len(wanted), QUERY_CHUNK):
            chunk = wanted[start : start + QUERY_CHUNK]
            rows = store.query(cls).filter(cls.email.in_(chunk), cls.confirmed.is_(True))
            found.update((row.email, row) for row in rows)
        return found

    def certificate(self) -> Certificate:
        """The key, parsed (without checking it is still usable)."""
        return _parsed(self.public_key)


# Delivery needs every member's key for every post, and parsing one costs about twice
# as much as encrypting a 10 KB post to it; so each process keeps the keys it parsed.
# Keyed by the armor, so a replaced or updated key is parsed afresh; a Certificate is
# immutable and judged for expiry when it is used, so a kept one never goes stale.
@lru_cache(maxsize=MEMBER_KEYS_KEPT)
def _parsed(armor: str) -> Certificate:
    return load_certificate(armor)
