"""Inline PGP in text bodies: an armored PGP message or a cleartext-signed text (RFC 4880 7)."""

from dataclasses import dataclass
from email.message import Message

from public import public

from mailman_pgp.mime import armor
from mailman_pgp.mime.entity import decoded_body
from mailman_pgp.mime.errors import MalformedPGPMIME
from mailman_pgp.mime.kinds import INLINE_KINDS, MessageKind, leaves


@public
@dataclass(frozen=True)
class InlinePGP:
    """The first inline PGP block of a message."""

    kind: MessageKind  # INLINE_ENCRYPTED or INLINE_SIGNED
    armor: bytes  # the whole armored block, in the charset of its text part
    charset: str  # charset of the text part it came from, lower case
    # True when the message holds content the block does not cover: text around the
    # block or other non-empty parts. A signature says nothing about that content.
    unprotected: bool = False


@public
def find_inline(msg: Message) -> InlinePGP:
    """The first armored PGP message or cleartext-signed block in a text/plain part.

    ``MalformedPGPMIME`` when there is none, or when the block's armor is damaged.
    """
    for part in leaves(msg):
        if part.get_content_type() != "text/plain":
            continue
        data = decoded_body(part)
        for block in armor.find_blocks(data):
            if block.label not in INLINE_KINDS:
                continue
            armor.check_block(block)
            around = (data[: block.start] + data[block.end :]).strip()
            others = any(
                other is not part and decoded_body(other).strip()
                for other in leaves(msg)
            )
            charset = (part.get_content_charset() or "us-ascii").lower()
            return InlinePGP(INLINE_KINDS[block.label], block.data, charset,
                             bool(around) or others)
    raise MalformedPGPMIME("The message holds no inline PGP message or signed text.")
