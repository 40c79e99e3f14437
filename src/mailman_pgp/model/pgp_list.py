"""A PGP list: a Mailman list with its own key pair, stored in Mailman's database.

Rows are keyed by ``list_id`` rather than a foreign key to Mailman's table, because
SQLite enforces no foreign keys in Mailman; `mailman_pgp.app.events` deletes the
row in the same transaction that deletes the list.
"""

from datetime import datetime

from mailman.database.model import Model
from mailman.database.types import SAText, SAUnicode
from mailman.interfaces.action import Action
from mailman.utilities.datetime import now
from public import public
from sqlalchemy import Boolean, DateTime, Enum, Integer, LargeBinary, text
from sqlalchemy.orm import Mapped, mapped_column
from zope.interface import implementer

from mailman_pgp.interfaces.lists import POLICY_DEFAULTS, IPGPMailingList, KeySigners
from mailman_pgp.openpgp import Certificate, NotAnUpdate, SecretKey, load_certificate

# The column as schema version 2 added it (`mailman_pgp.model.schema`): the value's name,
# in a VARCHAR without a CHECK constraint, so that a later value needs no migration.
KEY_SIGNERS_TYPE = Enum(KeySigners, native_enum=False, create_constraint=False, length=16,
                        values_callable=lambda members: [member.value for member in members],
                        validate_strings=True)

# The policy columns as schema version 3 added them: an `Action`'s name, as KEY_SIGNERS_TYPE.
ACTION_TYPE = Enum(Action, native_enum=False, create_constraint=False, length=16,
                   validate_strings=True)


def _action_column(default: Action) -> Mapped[Action]:
    return mapped_column(ACTION_TYPE, nullable=False, default=default,
                         server_default=default.name)


def _switch_column(default: bool) -> Mapped[bool]:
    # "true"/"false" literals: what PostgreSQL needs and SQLite (3.23 and later) reads as 1/0.
    return mapped_column(Boolean, nullable=False, default=default,
                         server_default=text("true" if default else "false"))


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
    key_signers: Mapped[KeySigners] = mapped_column(
        KEY_SIGNERS_TYPE, nullable=False, default=KeySigners.administrators,
        server_default=KeySigners.administrators.value)
    unencrypted_action: Mapped[Action] = _action_column(Action.reject)
    unsigned_action: Mapped[Action] = _action_column(Action.reject)
    bad_signature_action: Mapped[Action] = _action_column(Action.reject)
    expired_key_action: Mapped[Action] = _action_column(Action.reject)
    revoked_key_action: Mapped[Action] = _action_column(Action.reject)
    unknown_key_action: Mapped[Action] = _action_column(Action.reject)
    inline_pgp_action: Mapped[Action] = _action_column(Action.accept)
    replay_action: Mapped[Action] = _action_column(Action.reject)
    sign_outgoing: Mapped[bool] = _switch_column(True)
    strip_sender_signature: Mapped[bool] = _switch_column(False)
    protect_headers: Mapped[bool] = _switch_column(True)
    autocrypt: Mapped[bool] = _switch_column(True)
    archive_plaintext: Mapped[bool] = _switch_column(False)

    def __init__(self, list_id: str, key: SecretKey, protected_secret_key: bytes) -> None:
        super().__init__()
        self.list_id = list_id
        self.fingerprint = key.fingerprint
        self.public_key = key.certificate.armor
        self.protected_secret_key = protected_secret_key
        self.created_at = now()
        self.key_signers = KeySigners.administrators
        for name, default in POLICY_DEFAULTS.items():
            setattr(self, name, default)

    def __repr__(self) -> str:
        return f"<PGPMailingList {self.list_id} {self.fingerprint}>"

    def certificate(self) -> Certificate:
        """See `IPGPMailingList`."""
        return load_certificate(self.public_key)

    def update_public_key(self, certificate: Certificate) -> None:
        """See `IPGPMailingList`; the secret half is not touched: it signs as before."""
        if certificate.fingerprint != self.fingerprint:
            raise NotAnUpdate(
                f"The key {certificate.fingerprint} is not the list's key {self.fingerprint}.")
        self.public_key = certificate.armor
