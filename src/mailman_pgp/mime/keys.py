"""Public keys and revocation certificates that a message carries, attached or pasted."""

import re
from copy import deepcopy
from email.message import Message

from public import public

from mailman_pgp.mime import armor
from mailman_pgp.mime.entity import decoded_body
from mailman_pgp.mime.errors import MalformedPGPMIME

KEYS_TYPE = "application/pgp-keys"
# The BEGIN line of a key block, with or without GnuPG's guarding ":", and whatever follows
# it on its line: to find key material, damaged armor counts.
_KEY_BEGIN = re.compile(rb"^:?-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----", re.MULTILINE)


@public
def extract_key_blocks(msg: Message) -> list[bytes]:
    """Every public key block of ``msg``, in order: revocation certificates included.

    Blocks come from ``application/pgp-keys`` parts (armored, or binary OpenPGP data
    as it stands) and from armored ``PUBLIC KEY BLOCK``s in text/plain parts. Private
    key blocks are never returned. Damaged armor raises ``MalformedPGPMIME``.
    """
    found = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        if content_type not in (KEYS_TYPE, "text/plain"):
            continue
        data = decoded_body(part)
        blocks = [
            block for block in armor.find_blocks(data) if block.label == armor.PUBLIC_KEY_BLOCK
        ]
        for block in blocks:
            armor.check_block(block)
            found.append(block.data)
        if content_type == KEYS_TYPE and not blocks:
            found.append(_binary_keys(data))
    return found


def _binary_keys(data: bytes) -> bytes:
    # RFC 4880 4.2: the first octet of every packet has its high bit set; a key block
    # starts with a public key packet (tag 6), old or new format.
    if data[:1] and data[0] & 0x80 and (data[0] & 0x3F == 6 or (data[0] >> 2) & 0x0F == 6):
        return data
    raise MalformedPGPMIME(
        "An application/pgp-keys attachment holds neither an armored public key block "
        "nor binary OpenPGP key data."
    )


@public
def with_attached_key(content: Message, key: bytes, filename: str) -> Message:
    """A ``multipart/mixed`` of ``content`` and an ``application/pgp-keys`` part of ``key``.

    ``key`` is an ASCII-armored public key; ``content`` becomes the first part as it is.
    """
    attachment = Message()
    attachment.add_header("Content-Type", KEYS_TYPE, name=filename)
    attachment.add_header("Content-Disposition", "attachment", filename=filename)
    attachment["Content-Transfer-Encoding"] = "7bit"
    attachment.set_payload(key.decode("ascii"))
    mixed = Message()
    mixed["Content-Type"] = "multipart/mixed"
    mixed.set_payload([content, attachment])
    return mixed


@public
def carries_secret_key(msg: Message) -> bool:
    """Whether ``msg`` holds an armored private key block, or one attached as a key part.

    `extract_key_blocks` never returns such a block; this tells a person who sent their
    secret key from one who sent no key at all. The block's BEGIN line is enough: a key
    cut off, or beside damaged armor, is secret key material all the same.
    """
    for part in msg.walk():
        if part.is_multipart() or part.get_content_type() not in (KEYS_TYPE, "text/plain"):
            continue
        # The BEGIN line alone tells: damaged armor elsewhere in the part, a key cut off,
        # or a key inside another armored block still hold secret key material.
        if any(match.group(1) == b"PRIVATE" for match in _KEY_BEGIN.finditer(
                decoded_body(part))):
            return True
    return False


@public
def without_key_blocks(msg: Message) -> Message:
    """A copy of ``msg`` whose text/plain parts hold no armored key block (public or
    private); each block becomes the line ``[OpenPGP key block]``, and one cut off takes the
    rest of its part with it. What Mailman's command runner reads and may quote back in its
    reply."""
    copy = deepcopy(msg)
    for part in copy.walk():
        if part.is_multipart() or part.get_content_type() != "text/plain":
            continue
        data = decoded_body(part)
        keys = _key_spans(data)
        if not keys:
            continue
        for start, end in reversed(keys):
            data = data[:start] + b"[OpenPGP key block]\n" + data[end:]
        charset = part.get_content_charset() or "us-ascii"
        del part["Content-Transfer-Encoding"]
        if not isinstance(part["Content-Type"], str):
            # 8-bit bytes in the header (a Header to the email package), which cannot
            # take a new charset parameter: the part gets a plain one instead.
            del part["Content-Type"]
        part.set_payload(*_text(data, charset))
    return copy


def _key_spans(data: bytes) -> list[tuple[int, int]]:
    """Where the key blocks of ``data`` are: from each BEGIN line of a public or private
    key block through its END line, or to the end of ``data`` if it was cut off; whatever
    other armor, damaged or not, is around them."""
    spans = []
    position = 0
    while begin := _KEY_BEGIN.search(data, position):
        end_line = re.compile(rb"^-----END PGP " + begin.group(1) + rb" KEY BLOCK-----[ \t]*"
                              rb"(\r?\n|$)", re.MULTILINE)
        end = end_line.search(data, begin.end())
        position = end.end() if end else len(data)
        spans.append((begin.start(), position))
    return spans


def _text(data: bytes, charset: str) -> tuple[str, str]:
    """``data`` as text and the charset to send it in: its own if it holds the text,
    else UTF-8 (a charset Python does not know, or bytes it cannot decode)."""
    try:
        text = data.decode(charset, "replace")
        text.encode(charset)
    except (LookupError, ValueError):
        return data.decode("utf-8", "replace"), "utf-8"
    return text, charset
