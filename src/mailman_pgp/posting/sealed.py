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
    DecryptionError,
    SecretKey,
    SignatureStatus,
    Verification,
    decrypt,
    decrypt_content,
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
    verify_with: Sequence[Certificate],
    sop: SOP,
) -> OpenedPost:
    """Decrypt ``msg`` with the list's ``key`` and check its signature, once, in memory.

    Raises `NotEncrypted` for a message that is not encrypted, `MalformedPGPMIME`
    for broken PGP/MIME and `DecryptionError` when the list key cannot open it.
    """
    kind, ciphertext, charset = _sealed(msg)
    decrypted = decrypt(ciphertext, key, verify_with=verify_with, sop=sop)
    _refuse_empty(decrypted.plaintext)
    if kind is MessageKind.PGP_MIME_ENCRYPTED:
        return _open_mime(kind, parse_entity(decrypted.plaintext), decrypted.verification,
                          verify_with, sop)
    return _open_inline(kind, decrypted.plaintext, charset, decrypted.verification,
                        verify_with, sop)


@public
def post_content(msg: Message, key: SecretKey, *, sop: SOP) -> Message:
    """The entity to deliver of a post whose signature the posting chain already judged.

    Decrypted with one run of the SOP command, the sender's signature (a
    ``multipart/signed`` wrapper or an inline clear-signature) taken off unchecked.
    Raises as `open_post` does.
    """
    kind, ciphertext, charset = _sealed(msg)
    plaintext = decrypt_content(ciphertext, key, sop=sop)
    _refuse_empty(plaintext)
    if kind is MessageKind.PGP_MIME_ENCRYPTED:
        entity = parse_entity(plaintext)
        if classify(entity) is MessageKind.PGP_MIME_SIGNED:
            return split_signed(entity).content
        return entity
    if _CLEARSIGNED.match(plaintext):
        plaintext = verify_cleartext(plaintext, (), sop=sop).text
    return text_entity(plaintext, _charset_of(plaintext, charset))


def _sealed(msg: Message) -> tuple[MessageKind, bytes, str]:
    """The kind of encryption of ``msg``, its ciphertext, and the charset around it."""
    kind = classify(msg)
    if kind is MessageKind.PGP_MIME_ENCRYPTED:
        return kind, encrypted_payload(msg), "us-ascii"
    if kind is MessageKind.INLINE_ENCRYPTED:
        inline = find_inline(msg)
        return kind, inline.armor, inline.charset
    raise NotEncrypted(kind)


def _refuse_empty(plaintext: bytes) -> None:
    # No post is empty. An empty result means the decryption did not happen, whatever
    # the command's exit status said (a status can be lost, e.g. when another thread
    # of the process reaps children): fail closed.
    if not plaintext.strip():
        raise DecryptionError("The message decrypted to nothing.")


def _open_mime(kind: MessageKind, entity: Message, verification: Verification,
               verify_with: Sequence[Certificate], sop: SOP) -> OpenedPost:
    # RFC 3156 6.1: a client may sign first (multipart/signed) and encrypt that entity.
    if classify(entity) is not MessageKind.PGP_MIME_SIGNED:
        return OpenedPost(kind, entity, verification)
    parts = split_signed(entity)
    if verification.status is SignatureStatus.NO_SIGNATURE:
        verification = verify_detached(parts.signed_bytes, parts.signature, verify_with, sop=sop)
    return OpenedPost(kind, parts.content, verification)


def _open_inline(kind: MessageKind, plaintext: bytes, charset: str, verification: Verification,
                 verify_with: Sequence[Certificate], sop: SOP) -> OpenedPost:
    if _CLEARSIGNED.match(plaintext):
        checked = verify_cleartext(plaintext, verify_with, sop=sop)
        plaintext = checked.text
        if verification.status is SignatureStatus.NO_SIGNATURE:
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
