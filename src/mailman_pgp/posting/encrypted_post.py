"""An encrypted post: the message as it arrived, encrypted to the list key, opened in memory only.

A post stays as it arrived in every queue file, held message and notice. Whoever needs its
content opens it with `open_post`, uses the result and lets it go. What was checked is
bound to what is delivered by the digest of the ciphertext (`EncryptedPart.digest`):
delivery opens a post with `post_content` only when its ciphertext is the one checked.

A post that arrived in plaintext (a list whose ``unencrypted_action`` lets it through) is
read by `read_plaintext_post`; its binding digest (`post_digest`) is that of its content,
the body with the headers that describe it, which is what delivery encrypts to members.
"""

from __future__ import annotations

import hashlib
import quopri
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message

from public import public

from mailman_pgp.errors import PGPError
from mailman_pgp.mime import (
    DEFAULT_MIME_LIMITS,
    MessageKind,
    MIMEError,
    MIMELimits,
    classify,
    content_entity,
    encrypted_payload,
    entity_bytes,
    find_inline,
    parse_entity,
    split_signed,
)
from mailman_pgp.mime.mangling import repaired
from mailman_pgp.openpgp import (
    SOP,
    Certificate,
    DecryptionError,
    SecretKey,
    SignatureStatus,
    Verification,
    cleartext_text,
    decrypt,
    decrypt_content,
    verify_cleartext,
    verify_detached,
)
from mailman_pgp.openpgp.verification import NOT_SIGNED

ENCRYPTED_KINDS = frozenset({MessageKind.PGP_MIME_ENCRYPTED, MessageKind.INLINE_ENCRYPTED})
_CLEARSIGNED = re.compile(rb"\A\s*-----BEGIN PGP SIGNED MESSAGE-----")
# What a decrypted inline post holds when it is itself PGP again.
_INLINE_PGP = re.compile(rb"\A\s*-----BEGIN PGP (?:MESSAGE|SIGNED MESSAGE)-----")
_PGP_MIME = frozenset({MessageKind.PGP_MIME_ENCRYPTED, MessageKind.PGP_MIME_SIGNED})


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
class TooManyLayers(MIMEError):
    """The content under the encryption and the sender's signature is PGP again.

    A post is read as one encryption layer with at most one signature, combined with it or
    inside it (RFC 3156 6.1 and 6.2); whatever is encrypted or signed within that is not
    opened, so it is refused rather than passed on unread.
    """

    def __init__(self) -> None:
        super().__init__(
            "It is encrypted or signed again inside the encryption and your signature."
            " Encrypt to the list's key and sign once.")


@public
class NotTheCheckedPost(PGPError):
    """The post's ciphertext is not the one the posting chain checked; it is not opened."""


@public
@dataclass(frozen=True)
class EncryptedPart:
    """The encrypted part of a post: its kind, the armored ciphertext, the charset around it."""

    kind: MessageKind
    ciphertext: bytes
    charset: str

    @property
    def digest(self) -> str:
        """SHA-256 of the ciphertext, hex: what binds a check to the post it checked."""
        return hashlib.sha256(self.ciphertext).hexdigest()


@public
@dataclass(frozen=True)
class OpenedPost:
    """What an encrypted post holds, in memory.

    ``content`` is the entity to deliver: decrypted, with the sender's signature
    (a ``multipart/signed`` wrapper or an inline clear-signature) taken off.
    ``verification`` is the check of the sender's signature, combined with the
    encryption or nested inside it, against the certificates given to `open_post`.
    ``digest`` binds the check to the post (`post_digest`): the `EncryptedPart.digest`
    of what was opened, or for a plaintext post the digest of its content.
    ``signed_digest`` is the SHA-256 of the bytes the sender's signature covers as read
    (the decrypted plaintext, or the signed part of a plaintext post): the same in a new
    envelope, which is how a replayed signature is recognized.
    """

    kind: MessageKind
    content: Message
    verification: Verification
    digest: str
    signed_digest: str


@public
def encrypted_part(msg: Message) -> EncryptedPart:
    """The encrypted part of ``msg``; `NotEncrypted` or `MalformedPGPMIME` if there is none."""
    kind = classify(msg)
    if kind is MessageKind.PGP_MIME_ENCRYPTED:
        return EncryptedPart(kind, encrypted_payload(repaired(msg)), "us-ascii")
    if kind is MessageKind.INLINE_ENCRYPTED:
        inline = find_inline(msg)
        return EncryptedPart(kind, inline.armor, inline.charset)
    raise NotEncrypted(kind)


@public
def open_post(
    msg: Message,
    key: SecretKey,
    *,
    verify_with: Sequence[Certificate],
    sop: SOP,
    max_plaintext: int,
    mime_limits: MIMELimits = DEFAULT_MIME_LIMITS,
) -> OpenedPost:
    """Decrypt ``msg`` with the list's ``key`` and check its signature, once, in memory.

    Raises `NotEncrypted` for a message that is not encrypted, `MalformedPGPMIME`
    for broken PGP/MIME (a `MIMEError` for content the list cannot read: nested or
    holding parts beyond ``mime_limits``, or PGP again, `TooManyLayers`),
    `DecryptionError` when the list key cannot open it and `PlaintextTooLarge` when
    it holds more than ``max_plaintext`` bytes.
    """
    post = encrypted_part(msg)
    decrypted = decrypt(post.ciphertext, key, verify_with=verify_with, sop=sop,
                        max_plaintext=max_plaintext)
    _refuse_empty(decrypted.plaintext)
    signed_digest = hashlib.sha256(decrypted.plaintext).hexdigest()
    if post.kind is MessageKind.PGP_MIME_ENCRYPTED:
        opened = _open_mime(post, parse_entity(decrypted.plaintext, limits=mime_limits),
                            decrypted.verification, verify_with, sop, signed_digest)
    else:
        opened = _open_inline(post, decrypted.plaintext, decrypted.verification,
                              verify_with, sop, signed_digest)
    if classify(opened.content) in _PGP_MIME:
        raise TooManyLayers()
    return opened


@public
def post_content(msg: Message, key: SecretKey, *, digest: str, sop: SOP,
                 max_plaintext: int, mime_limits: MIMELimits = DEFAULT_MIME_LIMITS) -> Message:
    """The entity to deliver of a post whose signature the posting chain already judged.

    A post that arrived in plaintext is given as `read_plaintext_post` read it, when its
    content has the ``digest`` the chain recorded. An encrypted one is opened only when
    its ciphertext has the ``digest`` the chain recorded
    (`NotTheCheckedPost` otherwise); decrypted with one run of the SOP command and no
    other process, the sender's signature (a ``multipart/signed`` wrapper or an inline
    clear-signature) taken off unchecked. Raises as `open_post` does.
    """
    entity = signed_post_content(msg, key, digest=digest, sop=sop, max_plaintext=max_plaintext,
                                 mime_limits=mime_limits).entity
    if classify(entity) is MessageKind.PGP_MIME_SIGNED:
        return split_signed(entity).content
    return entity


@public
@dataclass(frozen=True)
class SignedPostContent:
    """The content of a checked post, as `signed_post_content` gives it, in memory.

    ``entity`` is the content to deliver, a sender's ``multipart/signed`` wrapper kept.
    For a PGP/MIME post, ``ciphertext`` is its encrypted data and ``plaintext`` the exact
    bytes that decrypted to (``entity`` parsed): what a signature made together with the
    encryption covers (`mailman_pgp.posting.author_signature`). Both None otherwise.
    """

    entity: Message
    ciphertext: bytes | None = None
    plaintext: bytes | None = None


@public
def signed_post_content(msg: Message, key: SecretKey, *, digest: str, sop: SOP,
                        max_plaintext: int,
                        mime_limits: MIMELimits = DEFAULT_MIME_LIMITS) -> SignedPostContent:
    """As `post_content`, but a sender's ``multipart/signed`` wrapper is kept.

    A PGP/MIME post signed apart from its encryption (RFC 3156 6.1) comes back as the
    decrypted ``multipart/signed`` entity, so its signature can travel on to the members;
    one signed together with it (6.2) with what its signature can be taken out of.
    """
    kind = classify(msg)
    if kind not in ENCRYPTED_KINDS:
        return SignedPostContent(_plaintext_content(msg, kind, digest))
    post = encrypted_part(msg)
    if post.digest != digest:
        raise NotTheCheckedPost(
            "The message is not the one the list checked when it arrived: its encrypted"
            " content differs.")
    plaintext = decrypt_content(post.ciphertext, key, sop=sop, max_plaintext=max_plaintext)
    _refuse_empty(plaintext)
    if post.kind is MessageKind.PGP_MIME_ENCRYPTED:
        return SignedPostContent(parse_entity(plaintext, limits=mime_limits),
                                 post.ciphertext, plaintext)
    if _CLEARSIGNED.match(plaintext):
        plaintext = cleartext_text(plaintext)
    return SignedPostContent(text_entity(plaintext, _charset_of(plaintext, post.charset)))


def _plaintext_content(msg: Message, kind: MessageKind, digest: str) -> Message:
    """The content to deliver of a post that arrived in plaintext, if it is the one checked."""
    if post_digest(msg) != digest:
        raise NotTheCheckedPost(
            "The message is not the one the list checked when it arrived: its content"
            " differs.")
    if kind is MessageKind.PGP_MIME_SIGNED:
        return split_signed(msg).content
    if kind is MessageKind.INLINE_SIGNED:
        inline = find_inline(msg)
        text = cleartext_text(inline.armor)
        return text_entity(text, _charset_of(text, inline.charset))
    return content_entity(msg)


def _refuse_empty(plaintext: bytes) -> None:
    # No post is empty. An empty result means the decryption did not happen, whatever
    # the command's exit status said (a status can be lost, e.g. when another thread
    # of the process reaps children): fail closed.
    if not plaintext.strip():
        raise DecryptionError("The message decrypted to nothing.")


def _open_mime(post: EncryptedPart, entity: Message, verification: Verification,
               verify_with: Sequence[Certificate], sop: SOP, signed_digest: str) -> OpenedPost:
    # RFC 3156 6.1: a client may sign first (multipart/signed) and encrypt that entity.
    if classify(entity) is not MessageKind.PGP_MIME_SIGNED:
        return OpenedPost(post.kind, entity, verification, post.digest, signed_digest)
    parts = split_signed(entity)
    if verification.status is SignatureStatus.NO_SIGNATURE:
        verification = verify_detached(parts.signed_bytes, parts.signature, verify_with, sop=sop)
    return OpenedPost(post.kind, parts.content, verification, post.digest, signed_digest)


def _open_inline(post: EncryptedPart, plaintext: bytes, verification: Verification,
                 verify_with: Sequence[Certificate], sop: SOP,
                 signed_digest: str) -> OpenedPost:
    if _CLEARSIGNED.match(plaintext):
        checked = verify_cleartext(plaintext, verify_with, sop=sop)
        plaintext = checked.text
        if verification.status is SignatureStatus.NO_SIGNATURE:
            verification = checked.verification
    if _INLINE_PGP.match(plaintext):
        raise TooManyLayers()
    content = text_entity(plaintext, _charset_of(plaintext, post.charset))
    return OpenedPost(post.kind, content, verification, post.digest, signed_digest)


@public
def read_plaintext_post(msg: Message, *, verify_with: Sequence[Certificate],
                        sop: SOP) -> OpenedPost:
    """A post that is not encrypted, read as `open_post` reads an encrypted one.

    A ``multipart/signed`` post or an inline clear-signed text has its signature checked
    against ``verify_with`` and taken off the content, as `post_content` delivers it; any
    other post is unsigned. Raises `MalformedPGPMIME` for a broken signed post.
    """
    kind = classify(msg)
    if kind in ENCRYPTED_KINDS:
        raise ValueError("read_plaintext_post() is for posts that are not encrypted")
    digest = post_digest(msg)
    if kind is MessageKind.PGP_MIME_SIGNED:
        parts = split_signed(msg)
        verification = verify_detached(parts.signed_bytes, parts.signature, verify_with,
                                       sop=sop)
        return OpenedPost(kind, parts.content, verification, digest,
                          hashlib.sha256(parts.signed_bytes).hexdigest())
    if kind is MessageKind.INLINE_SIGNED:
        inline = find_inline(msg)
        checked = verify_cleartext(inline.armor, verify_with, sop=sop)
        return OpenedPost(kind, text_entity(checked.text, _charset_of(checked.text,
                                                                      inline.charset)),
                          checked.verification, digest, hashlib.sha256(inline.armor).hexdigest())
    content = content_entity(msg)
    return OpenedPost(kind, content, NOT_SIGNED, digest,
                      hashlib.sha256(entity_bytes(content, "\n")).hexdigest())


@public
def post_digest(msg: Message) -> str:
    """What binds a check to a post: the ciphertext's digest (`EncryptedPart.digest`) for an
    encrypted post, else the SHA-256 of its content (body and the headers describing it).

    Raises `MIMEError` for a post whose encrypted part cannot be found.
    """
    if classify(msg) in ENCRYPTED_KINDS:
        return encrypted_part(msg).digest
    return hashlib.sha256(entity_bytes(content_entity(msg), "\n")).hexdigest()


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
