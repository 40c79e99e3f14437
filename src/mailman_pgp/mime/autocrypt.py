"""The Autocrypt header (Autocrypt Level 1): a key offered with every message its owner sends.

``Autocrypt: addr=list@example.org; prefer-encrypt=mutual; keydata=BASE64`` tells a
reader's client the key of the address in From. A client takes it only when ``addr``
equals the From address. ``keydata`` is the binary OpenPGP certificate, in its minimal
form (the OpenPGP layer makes it), base64 folded over lines. No Mailman imports.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from public import public

from mailman_pgp.mime.errors import MIMEError

AUTOCRYPT = "Autocrypt"
# Base64 characters a folded line of keydata carries, as the Autocrypt examples fold it.
_LINE = 76
_MUTUAL = "mutual"
_NO_PREFERENCE = "nopreference"
# Larger keydata is no minimal key; Autocrypt clients refuse such headers too.
MAX_KEYDATA = 64 * 1024
_WHITESPACE = re.compile(r"\s+")


@public
class InvalidAutocrypt(MIMEError):
    """An Autocrypt header that Autocrypt Level 1 says to ignore; the text says why."""


@public
@dataclass(frozen=True)
class AutocryptHeader:
    """What an Autocrypt header says: the address, its key (binary), its preference."""

    addr: str
    keydata: bytes
    prefer_encrypt_mutual: bool = True

    def value(self) -> str:
        """The header's value, keydata folded in lines of 76 characters."""
        if not self.keydata:
            raise InvalidAutocrypt("An Autocrypt header needs the key's data.")
        if not _is_plain_address(self.addr):
            raise InvalidAutocrypt(f"{self.addr!r} is not a plain email address.")
        encoded = base64.b64encode(self.keydata).decode("ascii")
        lines = [encoded[start:start + _LINE] for start in range(0, len(encoded), _LINE)]
        preference = f"prefer-encrypt={_MUTUAL}; " if self.prefer_encrypt_mutual else ""
        return f"addr={self.addr}; {preference}keydata=\n " + "\n ".join(lines)


@public
def parse_autocrypt(value: str) -> AutocryptHeader:
    """The Autocrypt header ``value`` as Autocrypt Level 1 reads it; `InvalidAutocrypt` if not.

    ``addr`` and ``keydata`` are required and may not repeat; an attribute starting
    with ``_`` is ignored, any other unknown one makes the header invalid.
    """
    attributes: dict[str, str] = {}
    for item in str(value).split(";"):
        if not item.strip():
            continue
        name, equals, text = item.partition("=")
        name = name.strip().lower()
        if not equals:
            raise InvalidAutocrypt(f"The Autocrypt attribute {name!r} has no value.")
        if name.startswith("_"):
            continue
        if name not in ("addr", "prefer-encrypt", "keydata"):
            raise InvalidAutocrypt(f"The Autocrypt header has an unknown attribute {name!r}.")
        if name in attributes:
            raise InvalidAutocrypt(f"The Autocrypt header gives {name!r} twice.")
        attributes[name] = text.strip()
    if "addr" not in attributes or "keydata" not in attributes:
        raise InvalidAutocrypt("An Autocrypt header needs both addr and keydata.")
    compact = _WHITESPACE.sub("", attributes["keydata"])
    if len(compact) > MAX_KEYDATA * 4 // 3 + 4:
        raise InvalidAutocrypt("The Autocrypt keydata is larger than a minimal key.")
    try:
        keydata = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidAutocrypt("The Autocrypt keydata is not base64.") from error
    if not keydata:
        raise InvalidAutocrypt("The Autocrypt keydata is empty.")
    preference = attributes.get("prefer-encrypt", _NO_PREFERENCE).lower()
    return AutocryptHeader(attributes["addr"], keydata, preference == _MUTUAL)


def _is_plain_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and address.isascii() and not any(
        char in address for char in ' \t\r\n;<>"')
