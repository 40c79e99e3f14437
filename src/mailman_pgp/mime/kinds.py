"""What kind of PGP message a message is, judged by its structure alone."""

from email.message import Message
from enum import Enum

from public import public

from mailman_pgp.mime import armor
from mailman_pgp.mime.entity import decoded_body
from mailman_pgp.mime.errors import MalformedPGPMIME
from mailman_pgp.mime.mangling import Mangling, mangling_of


@public
class MessageKind(Enum):
    """The PGP form of a message; the PGP/MIME kinds win over inline PGP."""

    PGP_MIME_ENCRYPTED = "pgp-mime-encrypted"  # multipart/encrypted
    PGP_MIME_SIGNED = "pgp-mime-signed"  # multipart/signed
    INLINE_ENCRYPTED = "inline-encrypted"  # a text body with a BEGIN PGP MESSAGE block
    INLINE_SIGNED = "inline-signed"  # a text body with a BEGIN PGP SIGNED MESSAGE block
    PLAIN = "plain"


# The armor labels that make a text part inline PGP, and the kind each makes.
INLINE_KINDS = {
    armor.MESSAGE: MessageKind.INLINE_ENCRYPTED,
    armor.SIGNED_MESSAGE: MessageKind.INLINE_SIGNED,
}


@public
def classify(msg: Message) -> MessageKind:
    """The kind of ``msg``, from its top-level content type or an inline armored block.

    Any ``multipart/encrypted`` or ``multipart/signed`` is classified as PGP/MIME, whatever
    its ``protocol``: ``encrypted_payload`` and ``split_signed`` then say what is wrong
    with it, so a malformed message cannot pass as plain. Damaged armor still counts as
    inline PGP, for the same reason. PGP/MIME that a mail system rearranged on the way
    (`mangling_of`) is ``PGP_MIME_ENCRYPTED`` too: ``repaired`` gives back its
    ``multipart/encrypted``. Never raises for bad input.
    """
    content_type = msg.get_content_type()
    if content_type == "multipart/encrypted" or mangling_of(msg) is not Mangling.NONE:
        return MessageKind.PGP_MIME_ENCRYPTED
    if content_type == "multipart/signed":
        return MessageKind.PGP_MIME_SIGNED
    for part in leaves(msg):
        if part.get_content_type() != "text/plain":
            continue
        data = decoded_body(part)
        try:
            blocks = armor.find_blocks(data)
        except MalformedPGPMIME:
            return _kind_of_unfinished(data)
        for block in blocks:
            if block.label in INLINE_KINDS:
                return INLINE_KINDS[block.label]
    return MessageKind.PLAIN


@public
def encrypted_under_signature(msg: Message) -> bool:
    """Whether ``msg`` is a ``multipart/signed`` whose signed part is encrypted: encrypted
    first and signed outside, which RFC 3156 does not define, so its signature covers only
    the encrypted data. Never raises for bad input."""
    if msg.get_content_type() != "multipart/signed" or not msg.is_multipart():
        return False
    parts = msg.get_payload()
    return (isinstance(parts, list) and bool(parts) and isinstance(parts[0], Message)
            and classify(parts[0]) is MessageKind.PGP_MIME_ENCRYPTED)


def leaves(msg: Message) -> list[Message]:
    """The parts of ``msg`` that are not multipart, in order."""
    return [part for part in msg.walk() if not part.is_multipart()]


def _kind_of_unfinished(data: bytes) -> MessageKind:
    # A BEGIN line without an END line: say what it claims to be, so that the caller
    # tries it and gets the error, instead of passing damaged PGP on as plain text.
    if b"-----BEGIN PGP SIGNED MESSAGE-----" in data:
        return MessageKind.INLINE_SIGNED
    if b"-----BEGIN PGP MESSAGE-----" in data:
        return MessageKind.INLINE_ENCRYPTED
    return MessageKind.PLAIN
