"""The names WKD gives an address: the z-base-32 encoded SHA-1 of its local part.

Pure functions (no Django), following draft-koch-openpgp-webkey-service section 3.1:
only ASCII upper-case letters of the local part are lower-cased before hashing, as
GnuPG does; other characters are hashed as their UTF-8 bytes.
"""

import hashlib
from dataclasses import dataclass

# RFC 6189 section 5.1.6: z-base-32, the alphabet the draft names.
ZBASE32_ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"


class NotAnAddress(ValueError):
    """The text is not ``local@domain`` with both parts non-empty."""


def zbase32(data: bytes) -> str:
    """``data`` in z-base-32, most significant bit first, without padding."""
    bits = int.from_bytes(data, "big")
    length = len(data) * 8
    chars = -(-length // 5)
    bits <<= chars * 5 - length
    return "".join(
        ZBASE32_ALPHABET[(bits >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def ascii_lower(text: str) -> str:
    """``text`` with only A-Z mapped to a-z (`str.lower` would also fold non-ASCII)."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def wkd_hash(local_part: str) -> str:
    """The 32-character WKD hash of a mailbox's local part."""
    digest = hashlib.sha1(ascii_lower(local_part).encode("utf-8")).digest()
    return zbase32(digest)


@dataclass(frozen=True)
class WKDAddress:
    """An address as WKD names it: domain lower-cased, local part hashed."""

    local_part: str
    domain: str

    @classmethod
    def parse(cls, address: str) -> "WKDAddress":
        """Split ``address`` at its last ``@``; raises `NotAnAddress`."""
        local_part, at, domain = address.strip().rpartition("@")
        if not at or not local_part or not domain:
            raise NotAnAddress(address)
        return cls(local_part, ascii_lower(domain))

    @property
    def hash(self) -> str:
        return wkd_hash(self.local_part)
