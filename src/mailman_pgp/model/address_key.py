"""A subscriber's public key, one per email address, in Mailman's database.

Keyed by the lower-cased address rather than by Mailman's address row: an
administrator may set a key before the address is known to Mailman, and the
posting flow looks keys up by the addresses it delivers to.
"""

from datetime import datetime
from functools import lru_cache

from mailman.database.model import Model
from mailman.database.types import SAText, SAUnicode
from mailman.utilities.datetime import now
from public import public
from sqlalchemy import Boolean, DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column
from zope.interface import implementer

from mailman_pgp.interfaces.keys import IPGPAddressKey
from mailman_pgp.openpgp import Certificate, load_certificate

MEMBER_KEYS_KEPT = 50_000


@public
@implementer(IPGPAddressKey)
class PGPAddressKey(Model):
    """See `IPGPAddressKey`."""

    __tablename__ = "pgp_address_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(SAUnicode, nullable=False, unique=True, index=True)
    fingerprint: Mapped[str] = mapped_column(SAUnicode, nullable=False)
    public_key: Mapped[str] = mapped_column(SAText, nullable=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    def __init__(self, email: str, certificate: Certificate, *, confirmed: bool) -> None:
        super().__init__()
        self.email = email.lower()
        self.replace(certificate, confirmed=confirmed)

    def __repr__(self) -> str:
        state = "confirmed" if self.confirmed else "unconfirmed"
        return f"<PGPAddressKey {self.email} {self.fingerprint} {state}>"

    def replace(self, certificate: Certificate, *, confirmed: bool) -> None:
        """See `IPGPAddressKey`."""
        self.fingerprint = certificate.fingerprint
        self.public_key = certificate.armor
        self.confirmed = confirmed
        self.updated_at = now()

    def certificate(self) -> Certificate:
        """See `IPGPAddressKey`; parsed once per process."""
        return _parsed(self.public_key)


# Delivery needs every member's key for every post, and parsing one costs about twice
# as much as encrypting a 10 KB post to it; so each process keeps the keys it parsed.
# Keyed by the armor, so a replaced or updated key is parsed afresh; a Certificate is
# immutable and judged for expiry when it is used, so a kept one never goes stale.
@lru_cache(maxsize=MEMBER_KEYS_KEPT)
def _parsed(armor: str) -> Certificate:
    return load_certificate(armor)
