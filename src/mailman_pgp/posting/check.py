"""The non-secret outcome of checking a post, kept in the message metadata.

The rule that opens a post records here who signed it and how the signature
checked out, and what exactly it checked: the digest of the ciphertext and the
author (From) it was checked for. Later rules, the pipeline and delivery read it,
and refuse a message that is not the one checked. Only fingerprints, a digest and
a status go into msgdata, which Mailman pickles to disk: never anything from the
plaintext.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from typing import Any

from public import public

from mailman_pgp.openpgp import SignatureStatus

MSGDATA_KEY = "pgp_post_check"


@public
@dataclass(frozen=True)
class PostCheck:
    """How the sender's signature on a post checked out, and which post was checked.

    ``digest`` is the SHA-256 of the ciphertext checked (`Sealed.digest`), ``author``
    the post's From address then; ``signer`` is the signer's primary key fingerprint
    when the signer was among the certificates checked against; ``issuer`` what the
    signature itself names; and ``sender_key`` the fingerprint of the sender's
    confirmed key, None without one.
    """

    status: SignatureStatus
    digest: str
    author: str
    signer: str | None = None
    issuer: str | None = None
    sender_key: str | None = None

    @property
    def signed_by_sender(self) -> bool:
        """A good signature by the sender's own confirmed key."""
        return (
            self.status is SignatureStatus.GOOD
            and self.sender_key is not None
            and self.signer == self.sender_key
        )

    def save(self, msgdata: MutableMapping[str, Any]) -> None:
        """Record this outcome in ``msgdata``, as plain strings."""
        record = asdict(self)
        record["status"] = self.status.value
        msgdata[MSGDATA_KEY] = record

    @classmethod
    def load(cls, msgdata: MutableMapping[str, Any]) -> PostCheck | None:
        """The outcome recorded in ``msgdata``, or None when the post was not checked.

        A record without what it was made for (digest, author) counts as none.
        """
        record = msgdata.get(MSGDATA_KEY)
        if not isinstance(record, dict):
            return None
        try:
            return cls(
                status=SignatureStatus(record["status"]),
                digest=_text(record["digest"]),
                author=_text(record["author"]),
                signer=record.get("signer"),
                issuer=record.get("issuer"),
                sender_key=record.get("sender_key"),
            )
        except (KeyError, ValueError):
            return None

    @staticmethod
    def forget(msgdata: MutableMapping[str, Any]) -> None:
        """Drop any recorded outcome, so a stale one is never trusted."""
        msgdata.pop(MSGDATA_KEY, None)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(value)
    return value
