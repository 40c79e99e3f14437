"""A PGP list: a Mailman list with its own key pair, stored in Mailman's database.

Rows are keyed by ``list_id`` rather than a foreign key to Mailman's table, because
SQLite enforces no foreign keys in Mailman; `mailman_pgp.app.events` deletes the
row in the same transaction that deletes the list.
"""

from datetime import datetime

from mailman.database.model import Model
from mailman.database.types import SAText, SAUnicode
from mailman.utilities.datetime import now
from public import public
from sqlalchemy import DateTime, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column
from zope.interface import implementer

from mailman_pgp.interfaces.lists import IPGPMailingList
from mailman_pgp.openpgp import Certificate, SecretKey, load_certificate


@public
@implementer(IPGPMailingList)
class PGPMailingList(Model):
    """See `IPGPMailingList`; the secret half of the key is stored protected."""

    __tablename__ = "pgp_mailinglist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[str] = mapped_column(SAUnicode, nullable=False, unique=True, index=True)
    fingerprint: Mapped[str] = mapped_column(SAUnicode, nullable=False)
    public_key: Mapped[str] = mapped_column(SAText, nullable=False)
    # SecretKey.protect() output, made and opened by the list manager, which holds the
    # passphrase.
    protected_secret_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    def __init__(self, list_id: str, key: SecretKey, protected_secret_key: bytes) -> None:
        super().__init__()
        self.list_id = list_id
        self.fingerprint = key.fingerprint
        self.public_key = key.certificate.armor
        self.protected_secret_key = protected_secret_key
        self.created_at = now()

    def __repr__(self) -> str:
        return f"<PGPMailingList {self.list_id} {self.fingerprint}>"

    def certificate(self) -> Certificate:
        """See `IPGPMailingList`."""
        return load_certificate(self.public_key)
