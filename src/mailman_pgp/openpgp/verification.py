"""Verification results as values: who signed, when, and why a signature is not good."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from public import public


@public
class SignatureStatus(Enum):
    """What a signature check found; only ``GOOD`` means the signature can be trusted."""

    GOOD = "good"
    # The signature does not match the data (tampered), or it is unreadable or made with
    # algorithms that are not acceptable.
    BAD = "bad"
    EXPIRED_KEY = "expired_key"
    REVOKED_KEY = "revoked_key"
    # Signed by a key that is not among the certificates we were given.
    UNKNOWN_KEY = "unknown_key"
    NO_SIGNATURE = "no_signature"


@public
@dataclass(frozen=True)
class Verification:
    """The result of checking the signature(s) of one message.

    ``signer_fingerprint`` is the primary key's fingerprint (uppercase hex) of the signer
    when the signer is among the certificates we were given; ``issuer`` is the fingerprint
    or key ID the signature itself names (possibly a subkey), useful for an unknown key.
    """

    status: SignatureStatus
    signer_fingerprint: str | None = None
    created: datetime | None = None
    issuer: str | None = None

    @property
    def is_good(self) -> bool:
        return self.status is SignatureStatus.GOOD


NOT_SIGNED = Verification(SignatureStatus.NO_SIGNATURE)
