"""ASCII armor (RFC 4880 section 6): find armored blocks in bytes and check they are whole.

Only the structure is checked: BEGIN and END lines, armor headers, a blank line and
Radix-64 data that decodes. The CRC-24 line is accepted but not enforced, as RFC 9580
section 6.1 requires; integrity is the business of the OpenPGP layer.
"""

import binascii
import re
from dataclasses import dataclass

from public import public

from mailman_pgp.mime.errors import MalformedPGPMIME

# GnuPG writes revocation certificates with a leading ":" so that they are not imported
# by accident; someone who mails one in means to use it, so the colon is tolerated.
_BEGIN = re.compile(rb"^:?-----BEGIN PGP ([A-Z0-9 ,/]+)-----[ \t]*\r?$", re.MULTILINE)
_ARMOR_HEADER = re.compile(rb"^[A-Za-z0-9-]+: ")
_CHECKSUM = re.compile(rb"^=[A-Za-z0-9+/]{4}$")
_SIGNATURE_BEGIN = b"-----BEGIN PGP SIGNATURE-----"

# Labels of RFC 4880 section 6.2 plus the cleartext signature framework of section 7.
MESSAGE = "MESSAGE"
SIGNED_MESSAGE = "SIGNED MESSAGE"
SIGNATURE = "SIGNATURE"
PUBLIC_KEY_BLOCK = "PUBLIC KEY BLOCK"
PRIVATE_KEY_BLOCK = "PRIVATE KEY BLOCK"


@public
@dataclass(frozen=True)
class ArmorBlock:
    """One armored block found in a byte string."""

    label: str  # "MESSAGE", "SIGNED MESSAGE", "PUBLIC KEY BLOCK", ...
    data: bytes  # from the BEGIN line through the END line and its line ending
    start: int  # offsets of ``data`` in the bytes that were searched
    end: int


@public
def find_blocks(data: bytes) -> list[ArmorBlock]:
    """Every armored block in ``data`` whose BEGIN line starts a line, in order.

    A BEGIN line without its END line is damaged armor: ``MalformedPGPMIME``.
    """
    blocks = []
    position = 0
    while match := _BEGIN.search(data, position):
        label = match.group(1).decode("ascii")
        # A cleartext-signed message ends with the END line of its signature.
        end_label = SIGNATURE if label == SIGNED_MESSAGE else label
        end_line = re.compile(
            rb"^-----END PGP " + re.escape(end_label.encode("ascii")) + rb"-----[ \t]*(\r?\n|$)",
            re.MULTILINE,
        )
        end = end_line.search(data, match.end())
        if end is None:
            raise MalformedPGPMIME(
                f"The armored PGP {label.lower()} has no END PGP {end_label} line: "
                "it was cut off or damaged."
            )
        start = match.start() + (1 if data[match.start() : match.start() + 1] == b":" else 0)
        blocks.append(ArmorBlock(label, data[start : end.end()], start, end.end()))
        position = end.end()
    return blocks


@public
def check_block(block: ArmorBlock) -> None:
    """Raise ``MalformedPGPMIME`` unless ``block`` is well-formed armor.

    For a cleartext-signed message, its ``Hash:`` headers and the armored signature at
    its end are checked.
    """
    lines = [line.rstrip() for line in block.data.splitlines()]
    if block.label != SIGNED_MESSAGE:
        _check_radix64(lines, block.label)
        return
    index = 1
    while index < len(lines) and lines[index]:
        if not _ARMOR_HEADER.match(lines[index]):
            raise MalformedPGPMIME(
                "The cleartext-signed message has a damaged header line after its BEGIN line."
            )
        index += 1
    if index >= len(lines):
        raise MalformedPGPMIME("The cleartext-signed message has no text and no signature.")
    try:
        signature_start = lines.index(_SIGNATURE_BEGIN, index)
    except ValueError:
        raise MalformedPGPMIME(
            "The cleartext-signed message has no BEGIN PGP SIGNATURE line."
        ) from None
    _check_radix64(lines[signature_start:], SIGNATURE)


def _check_radix64(lines: list[bytes], label: str) -> None:
    what = f"armored PGP {label.lower()}"
    index = 1
    while index < len(lines) - 1 and lines[index]:
        if not _ARMOR_HEADER.match(lines[index]):
            raise MalformedPGPMIME(
                f"The {what} has a damaged armor header or lacks the blank line before its data."
            )
        index += 1
    body = lines[index + 1 : -1]
    if body and _CHECKSUM.match(body[-1]):
        body = body[:-1]
    if not body:
        raise MalformedPGPMIME(f"The {what} is empty.")
    try:
        decoded = binascii.a2b_base64(b"".join(body), strict_mode=True)
    except binascii.Error:
        raise MalformedPGPMIME(f"The {what} holds damaged Radix-64 data.") from None
    if not decoded:
        raise MalformedPGPMIME(f"The {what} is empty.")

