"""A key a PGP list's archive is encrypted to, besides the list key: a row per list and key."""

from datetime import datetime

from mailman.database.model import Model
from mailman.database.types import SAText, SAUnicode
from public import public
from sqlalchemy import DateTime, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from zope.interface import implementer

from mailman_pgp.interfaces.archive_keys import IPGPArchiveKey
from mailman_pgp.openpgp import Certificate, load_certificate


@public
@implementer(IPGPArchiveKey)
class PGPArchiveKey(Model):
    """See `IPGPArchiveKey`."""

    __tablename__ = "pgp_archive_key"
    __table_args__ = (UniqueConstraint("list_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[str] = mapped_column(SAUnicode, nullable=False, index=True)
    fingerprint: Mapped[str] = mapped_column(SAUnicode, nullable=False)
    public_key: Mapped[str] = mapped_column(SAText, nullable=False)
    added_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    def __init__(self, list_id: str, certificate: Certificate, added_at: datetime) -> None:
        super().__init__()
        self.list_id = list_id
        self.fingerprint = certificate.fingerprint
        self.public_key = certificate.armor
        self.added_at = added_at

    def __repr__(self) -> str:
        return f"<PGPArchiveKey {self.list_id} {self.fingerprint}>"

    def certificate(self) -> Certificate:
        """See `IPGPArchiveKey`."""
        return load_certificate(self.public_key)
