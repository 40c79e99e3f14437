"""The outcome of the PGP check of a post, kept in the message metadata: the contract.

The check (`mailman_pgp.posting.checker.check_post`) is one named step of
``pgp-posting-chain``: it runs once, after the rules that decide without decrypting and
before every rule that reads its outcome, and saves a `PostCheck` here. Rules, the
posting pipeline and delivery read it and never decrypt to judge a post again:

* a missing or unreadable record means the post was not checked: fail closed;
* only an ``OPENED`` outcome with a digest and an author binds the record to a post:
  the pipeline and delivery refuse a message whose author or ciphertext digest
  (`EncryptedPart.digest`) differs, so a check is never spent on another message;
* everything else (who signed, how the signature checked out, what kind of post it
  was, when it was signed) is for the policy rules to judge (`mailman_pgp.posting.policy`).

An ``OPENED`` record is also made for a post that arrived in plaintext: the check read it
(and its signature, if any) without decrypting, and its digest is that of its content
(`mailman_pgp.posting.encrypted_post.post_digest`).

Only fingerprints, digests, an address, a status, a kind, a time and a short non-secret
detail go into msgdata, which Mailman pickles to disk: never anything from the plaintext.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from public import public

from mailman_pgp.mime import MessageKind
from mailman_pgp.openpgp import SignatureStatus

MSGDATA_KEY = "pgp_post_check"


@public
class CheckOutcome(Enum):
    """How far the check of a post got, and if not to the end, why."""

    # Decrypted: the signature fields say how the signature checked out.
    OPENED = "opened"
    NO_LIST_KEY = "no_list_key"
    NO_AUTHOR = "no_author"
    NOT_ENCRYPTED = "not_encrypted"
    # ``detail``: the sentence saying what is wrong.
    MALFORMED = "malformed"
    # ``detail``: the fingerprint of the list key the post should be encrypted to.
    UNDECRYPTABLE = "undecryptable"
    # Over the site's plaintext limit, which nothing lifts. ``detail``: the limit in KB.
    TOO_LARGE = "too_large"
    # Over the list's own plaintext limit, which a moderator's approval lifts to the
    # site's. ``detail``: the limit in KB.
    OVER_LIST_LIMIT = "over_list_limit"
    # Not read within the time limit: a moderator may have it read again. ``detail``: the
    # time limit in seconds.
    TIMED_OUT = "timed_out"


# The outcomes that set a post aside for a moderator rather than refuse it.
SET_ASIDE = frozenset({CheckOutcome.OVER_LIST_LIMIT, CheckOutcome.TIMED_OUT})


@public
@dataclass(frozen=True)
class PostCheck:
    """What the check of a post found, and which post it checked.

    ``author`` is the post's single From address (None without one); ``digest`` the
    SHA-256 of the ciphertext checked (`EncryptedPart.digest`), when there was one to read.
    For an ``OPENED`` post, ``status`` is how the signature checked out, ``signer`` the
    signer's primary key fingerprint when the signer was among the certificates
    checked against, ``issuer`` what the signature itself names, and ``sender_key`` the
    fingerprint of the author's confirmed key, None without one. ``kind`` is the post's
    `MessageKind` as it arrived; ``signed_at`` when the signature says it was made;
    ``signature`` the digest that names the signature (the same when the signed content is
    sent again in a new envelope), for replay detection.
    """

    outcome: CheckOutcome
    author: str | None
    digest: str | None = None
    status: SignatureStatus | None = None
    signer: str | None = None
    issuer: str | None = None
    sender_key: str | None = None
    detail: str | None = None
    kind: MessageKind | None = None
    signed_at: datetime | None = None
    signature: str | None = None

    @property
    def opened(self) -> bool:
        """The post was decrypted, and the record says which post and whose it is."""
        return (self.outcome is CheckOutcome.OPENED and bool(self.digest)
                and bool(self.author) and self.status is not None)

    @property
    def set_aside(self) -> bool:
        """The check stopped at a limit a moderator may lift: the post is held, not refused."""
        return self.outcome in SET_ASIDE

    @property
    def signed_by_sender(self) -> bool:
        """A good signature by the author's own confirmed key."""
        return (
            self.opened
            and self.status is SignatureStatus.GOOD
            and self.sender_key is not None
            and self.signer == self.sender_key
        )

    def save(self, msgdata: MutableMapping[str, Any]) -> None:
        """Record this outcome in ``msgdata``, as plain strings."""
        record = asdict(self)
        record["outcome"] = self.outcome.value
        record["status"] = None if self.status is None else self.status.value
        record["kind"] = None if self.kind is None else self.kind.value
        record["signed_at"] = None if self.signed_at is None else self.signed_at.isoformat()
        msgdata[MSGDATA_KEY] = record

    @classmethod
    def load(cls, msgdata: Mapping[str, Any]) -> PostCheck | None:
        """The outcome recorded in ``msgdata``, or None when the post was not checked.

        A record that is garbled, or an ``OPENED`` one without the digest, author and
        status that bind it to a post, counts as none.
        """
        record = msgdata.get(MSGDATA_KEY)
        if not isinstance(record, dict):
            return None
        try:
            status = record.get("status")
            kind = record.get("kind")
            signed_at = _optional_text(record.get("signed_at"))
            check = cls(
                outcome=CheckOutcome(record["outcome"]),
                author=_optional_text(record.get("author")),
                digest=_optional_text(record.get("digest")),
                status=None if status is None else SignatureStatus(status),
                signer=_optional_text(record.get("signer")),
                issuer=_optional_text(record.get("issuer")),
                sender_key=_optional_text(record.get("sender_key")),
                detail=_optional_text(record.get("detail")),
                kind=None if kind is None else MessageKind(kind),
                signed_at=None if signed_at is None else _aware(signed_at),
                signature=_optional_text(record.get("signature")),
            )
        except (KeyError, ValueError):
            return None
        if check.outcome is CheckOutcome.OPENED and not check.opened:
            return None
        return check

    @staticmethod
    def forget(msgdata: MutableMapping[str, Any]) -> None:
        """Drop any recorded outcome, so a stale one is never trusted."""
        msgdata.pop(MSGDATA_KEY, None)


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(text)
    return value
