"""A PGP list: a Mailman list with its own key pair, stored in Mailman's database.

Rows are keyed by ``list_id`` rather than a foreign key to Mailman's table, because
SQLite enforces no foreign keys in Mailman; `mailman_pgp.app.events` deletes the
row in the same transaction that deletes the list.
"""

from functools import lru_cache

from mailman.database.model import Model
from mailman.database.transaction import dbconnection
from mailman.database.types import SAText, SAUnicode
from mailman.utilities.datetime import now
from public import public
from sqlalchemy import Column, DateTime, Integer, LargeBinary

from mailman_pgp.config import pgp_config
from mailman_pgp.openpgp import Certificate, SecretKey, load_certificate


@public
class PGPMailingList(Model):
    """The PGP side of one mailing list: its key pair, the secret half protected."""

    __tablename__ = "pgp_mailinglist"

    id = Column(Integer, primary_key=True)
    list_id = Column(SAUnicode, nullable=False, unique=True, index=True)
    fingerprint = Column(SAUnicode, nullable=False)
    public_key = Column(SAText, nullable=False)
    # SecretKey.protect() output: encrypted with pgp_config().key_passphrase.
    protected_secret_key = Column(LargeBinary, nullable=False)
    created_at = Column(DateTime, nullable=False)

    def __init__(self, list_id: str, key: SecretKey, passphrase: str) -> None:
        super().__init__()
        self.list_id = list_id
        self.fingerprint = key.fingerprint
        self.public_key = key.certificate.armor
        self.protected_secret_key = key.protect(passphrase)
        self.created_at = now()

    def __repr__(self) -> str:
        return f"<PGPMailingList {self.list_id} {self.fingerprint}>"

    @classmethod
    @dbconnection
    def for_list_id(cls, store, list_id: str) -> "PGPMailingList | None":
        """The PGP list of ``list_id``, or None when that list is not a PGP list."""
        return store.query(cls).filter_by(list_id=list_id).one_or_none()

    @classmethod
    @dbconnection
    def all(cls, store) -> list["PGPMailingList"]:
        """Every PGP list, ordered by list ID."""
        return store.query(cls).order_by(cls.list_id).all()

    def certificate(self) -> Certificate:
        """The list's public key, parsed."""
        return load_certificate(self.public_key)

    def secret_key(self) -> SecretKey:
        """The list's key pair, unprotected in memory only (and kept there, see `_unprotect`)."""
        return _unprotect(bytes(self.protected_secret_key), pgp_config().key_passphrase)


# Unprotecting costs a deliberately slow key derivation (~45 ms); a runner needs the
# key for every message, so each process keeps the keys it opened. Keyed by the
# protected bytes, so a replaced key is opened afresh.
@lru_cache(maxsize=256)
def _unprotect(protected: bytes, passphrase: str) -> SecretKey:
    return SecretKey.unprotect(protected, passphrase)
