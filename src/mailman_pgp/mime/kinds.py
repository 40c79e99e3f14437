"""What kind of PGP message a message is, judged by its structure alone."""

from email.message import Message
from enum import Enum

from public import public


@public
class MessageKind(Enum):
    """The PGP form of a message; the PGP/MIME kinds win over inline PGP."""

    PGP_MIME_ENCRYPTED = "pgp-mime-encrypted"  # multipart/encrypted
    PGP_MIME_SIGNED = "pgp-mime-signed"  # multipart/signed
    INLINE_ENCRYPTED = "inline-encrypted"  # a text body with a BEGIN PGP MESSAGE block
    INLINE_SIGNED = "inline-signed"  # a text body with a BEGIN PGP SIGNED MESSAGE block
    PLAIN = "plain"


@public
def classify(msg: Message) -> MessageKind:
    """The kind of ``msg``, from its top-level content type or an inline armored block.

    Any ``multipart/encrypted`` or ``multipart/signed`` is classified as PGP/MIME, whatever
    its ``protocol``: ``encrypted_payload`` and ``split_signed`` then say what is wrong
    with it, so a malformed message cannot pass as plain. Never raises for bad input.
    """
    # inline.py imports MessageKind from here.
    from mailman_pgp.mime.inline import scan_inline

    content_type = msg.get_content_type()
    if content_type == "multipart/encrypted":
        return MessageKind.PGP_MIME_ENCRYPTED
    if content_type == "multipart/signed":
        return MessageKind.PGP_MIME_SIGNED
    return scan_inline(msg)
