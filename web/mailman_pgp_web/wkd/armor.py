"""OpenPGP ASCII armor back to binary (RFC 9580 section 6), as WKD serves keys.

The plugin's REST gives a list key armored; the draft says a WKD server MUST NOT
answer with an armored key. Only the framing is read here: the key itself is passed on
as it is.
"""

import base64
import binascii

_CRC24_INIT = 0xB704CE
_CRC24_POLY = 0x1864CFB


class ArmorError(ValueError):
    """The text is not one well-formed armored block (or its checksum is wrong)."""


def crc24(data: bytes) -> int:
    """The armor checksum of ``data`` (RFC 9580 section 6.1)."""
    crc = _CRC24_INIT
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= _CRC24_POLY
    return crc & 0xFFFFFF


def dearmor(text: str, kind: str = "PGP PUBLIC KEY BLOCK") -> bytes:
    """The binary data of the first armored ``kind`` block in ``text``."""
    lines = [line.rstrip() for line in text.splitlines()]
    try:
        start = lines.index(f"-----BEGIN {kind}-----")
        end = lines.index(f"-----END {kind}-----", start)
    except ValueError:
        raise ArmorError(f"no {kind}") from None
    body = lines[start + 1:end]
    # Armor headers ("Comment: ...") end at the first empty line.
    if "" in body:
        body = body[body.index("") + 1:]
    checksum = None
    if body and body[-1].startswith("="):
        checksum = body.pop()[1:]
    try:
        data = base64.b64decode("".join(body), validate=True)
        expected = base64.b64decode(checksum, validate=True) if checksum else None
    except binascii.Error as error:
        raise ArmorError(f"bad base64 in {kind}") from error
    if not data:
        raise ArmorError(f"empty {kind}")
    if expected is not None and int.from_bytes(expected, "big") != crc24(data):
        raise ArmorError(f"{kind} checksum mismatch")
    return data
