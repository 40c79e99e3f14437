"""A sealed post: the message as it arrived, encrypted to the list key, opened in memory only.

A post stays sealed in every queue file, held message and notice. Whoever needs its
content opens it with `open_post`, uses the result and lets it go.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message

from public import public

from mailman_pgp.errors import PGPError
from mailman_pgp.mime import (
    MessageKind,
    classify,
    encrypted_payload,
    find_inline,
    parse_entity,
    split_signed,
)
from mailman_pgp.openpgp import (
    SOP,
    Certificate,
    Decrypted,
    DecryptionError,
    SecretKey,
    SignatureStatus,
    Verification,
    decrypt,
    verify_cleartext,
    verify_detached,
)

ENCRYPTED_KINDS = frozenset({MessageKind.PGP_MIME_ENCRYPTED, MessageKind.INLINE_ENCRYPTED})
_CLEARSIGNED = re.compile(rb"\A\s*-----BEGIN PGP SIGNED MESSAGE-----")


@public
class NotEncrypted(PGPError):
    """The message is not encrypted (neither PGP/MIME nor inline PGP)."""

    def __init__(self, kind: MessageKind) -> None:
        self.kind = kind
        super().__init__(
            "The message is signed but not encrypted."
            if kind in (MessageKind.PGP_MIME_SIGNED, MessageKind.INLINE_SIGNED)
            else "The message is not encrypted."
        )


@public
@dataclass(frozen=True)
class OpenedPost:
    """What a sealed post holds, in memory.

    ``content`` is the entity to deliver: decrypted, with the sender's signature
    (a ``multipart/signed`` wrapper or an inline clear-signature) taken off.
    ``verification`` is the check of the sender's signature, combined with the
    encryption or nested inside it, against the certificates given to `open_post`.
    """

    kind: MessageKind
    content: Message
    verification: Verification


@public
def is_sealed(msg: Message) -> bool:
    """True when ``msg`` is encrypted, as PGP/MIME or as inline PGP."""
    return classify(msg) in ENCRYPTED_KINDS


@public
def open_post(
    msg: Message,
    key: SecretKey,
    *,
    verify_with: Sequence[Certificate] | None,
    sop: SOP,
) -> OpenedPost:
    """Decrypt ``msg`` with the list's ``key`` and check its signature, once, in memory.

    With ``verify_with=None`` (delivery, after the chain checked the post) a signature
    nested inside the encryption is taken off without checking it again.
    Raises `NotEncrypted` for a message that is not encrypted, `MalformedPGPMIME`
    for broken PGP/MIME and `DecryptionError` when the list key cannot open it.
    """
    kind = classify(msg)
    if kind is MessageKind.PGP_MIME_ENCRYPTED:
        decrypted = _decrypt(encrypted_payload(msg), key, verify_with, sop)
        return _open_mime(kind, parse_entity(decrypted.plaintext), decrypted.verification,
                          verify_with, sop)
    if kind is MessageKind.INLINE_ENCRYPTED:
        inline = find_inline(msg)
        decrypted = _decrypt(inline.armor, key, verify_with, sop)
        return _open_inline(kind, decrypted.plaintext, inline.charset, decrypted.verification,
                            verify_with, sop)
    raise NotEncrypted(kind)


def _decrypt(ciphertext: bytes, key: SecretKey, verify_with: Sequence[Certificate] | None,
             sop: SOP) -> Decrypted:
    decrypted = decrypt(ciphertext, key, verify_with=verify_with or (), sop=sop)
    # No post is empty. An empty result means the decryption did not happen, whatever
    # the command's exit status said (a status can be lost, e.g. when another thread
    # of the process reaps children): fail closed.
    if not decrypted.plaintext.strip():
        raise DecryptionError("The message decrypted to nothing.")
    return decrypted


def _open_mime(kind: MessageKind, entity: Message, verification: Verification,
               verify_with: Sequence[Certificate] | None, sop: SOP) -> OpenedPost:
    # RFC 3156 6.1: a client may sign first (multipart/signed) and encrypt that entity.
    if classify(entity) is not MessageKind.PGP_MIME_SIGNED:
        return OpenedPost(kind, entity, verification)
    parts = split_signed(entity)
    if verify_with is not None and verification.status is SignatureStatus.NO_SIGNATURE:
        verification = verify_detached(parts.signed_bytes, parts.signature, verify_with, sop=sop)
    return OpenedPost(kind, parts.content, verification)


def _open_inline(kind: MessageKind, plaintext: bytes, charset: str, verification: Verification,
                 verify_with: Sequence[Certificate] | None, sop: SOP) -> OpenedPost:
    if _CLEARSIGNED.match(plaintext):
        checked = verify_cleartext(plaintext, verify_with or (), sop=sop)
        plaintext = checked.text
        if verify_with is not None and verification.status is SignatureStatus.NO_SIGNATURE:
            verification = checked.verification
    return OpenedPost(kind, text_entity(plaintext, _charset_of(plaintext, charset)), verification)


def _charset_of(text: bytes, declared: str) -> str:
    """The charset of decrypted inline text: the part's, unless that cannot be right.

    The text part around an armor block is usually labelled us-ascii, since the armor
    is; what was encrypted inside is then most often UTF-8.
    """
    try:
        text.decode(declared)
    except (LookupError, UnicodeDecodeError):
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return declared
        return "utf-8"
    return declared


@public
def text_entity(text: bytes, charset: str) -> Message:
    """A ``text/plain`` entity carrying ``text`` byte for byte (quoted-printable, 7 bit)."""
    entity = Message()
    entity["Content-Type"] = "text/plain"
    entity.set_param("charset", charset)
    entity["Content-Transfer-Encoding"] = "quoted-printable"
    lines = text.replace(b"\r\n", b"\n")
    entity.set_payload(quopri.encodestring(lines).decode("ascii"))
    return entity
