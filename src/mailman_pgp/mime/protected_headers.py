"""Protected headers: the Subject, From, ... a sender put inside the signature and encryption.

Two forms are read. RFC 9788 marks the root of the cryptographic payload (the entity
under the encryption and signature layers) with ``hp="cipher"`` (encrypted) or
``hp="clear"`` (signed only) on its Content-Type; the header fields on that entity are
the message's, and each ``HP-Outer`` field says what was outside. The older
``protected-headers="v1"`` (Enigmail, Thunderbird, Mutt, K-9) puts the fields on the
same entity, marked by that parameter. Both are written on the copies a list sends
(`write_protected_headers`), so clients of either generation find them.

Only the fields in `PROTECTED_FIELDS` are read: what a reader sees and replies to. Every
value comes back as one line of 7-bit text (RFC 2047 encoded words where the sender
wrote 8 bits), so it can be set on any message as it is. No Mailman imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import formataddr, getaddresses
from enum import Enum

from public import public

# The fields a list copies inside each copy, in the order written.
PROTECTED_FIELDS = ("From", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID",
                    "In-Reply-To", "References")
# RFC 9788's placeholder for an outer Subject whose value travels only encrypted.
OBSCURED_SUBJECT = "[...]"
HP_OUTER = "HP-Outer"
# A longer value is not a header anyone writes; it is left out (`ProtectedHeaders.ignored`).
MAX_FIELD_LENGTH = 16 * 1024
_ADDRESS_FIELDS = frozenset({"from", "reply-to", "to", "cc"})
_CANONICAL = {name.lower(): name for name in PROTECTED_FIELDS}
_LINE_BREAKS = re.compile(r"[\r\n]+[ \t]*")
_SURROGATES = re.compile("[\udc80-\udcff]")


@public
class HeaderProtection(Enum):
    """How an entity marks the header fields it carries as the message's own."""

    # RFC 9788: hp="cipher" or hp="clear" on the Content-Type of the payload's root.
    RFC9788 = "rfc9788"
    # The older draft Enigmail and Thunderbird wrote: protected-headers="v1".
    PROTECTED_HEADERS_V1 = "v1"


@public
@dataclass(frozen=True)
class ProtectedHeaders:
    """The protected header fields of an entity, one value each, in 7-bit form.

    ``fields`` pairs each name of `PROTECTED_FIELDS` found (the first occurrence, as
    ``Message.get`` reads it) with its value; ``ignored`` names the fields left out
    because their value was longer than `MAX_FIELD_LENGTH`.
    """

    form: HeaderProtection
    fields: tuple[tuple[str, str], ...]
    ignored: tuple[str, ...] = ()

    def get(self, name: str) -> str | None:
        """The value of the field ``name`` (any case), None when it is not protected."""
        wanted = name.lower()
        return next((value for field, value in self.fields if field.lower() == wanted), None)


@public
def header_protection(root: Message) -> HeaderProtection | None:
    """The form of header protection ``root`` is marked with, None when it has none."""
    hp = _parameter(root, "hp")
    if hp in ("cipher", "clear"):
        return HeaderProtection.RFC9788
    if _parameter(root, "protected-headers") == "v1":
        return HeaderProtection.PROTECTED_HEADERS_V1
    return None


@public
def read_protected_headers(root: Message) -> ProtectedHeaders | None:
    """The protected header fields on ``root``, the root of a decrypted or signed payload.

    None when ``root`` is not marked as carrying them (`header_protection`). A field
    given more than once counts once (its first value); a value in 8 bits or with
    encoded words in an unknown charset comes back as readable UTF-8 encoded words.
    """
    form = header_protection(root)
    if form is None:
        return None
    fields: list[tuple[str, str]] = []
    ignored: list[str] = []
    seen: set[str] = set()
    # The raw text as parsed: items() would turn 8-bit values into unknown-8bit Headers.
    for name, value in root.raw_items():
        canonical = _CANONICAL.get(name.lower())
        if canonical is None or canonical in seen:
            continue
        seen.add(canonical)
        text = seven_bit_value(canonical, value)
        if len(text) > MAX_FIELD_LENGTH:
            ignored.append(canonical)
        else:
            fields.append((canonical, text))
    return ProtectedHeaders(form, tuple(fields), tuple(ignored))


@public
def write_protected_headers(root: Message, fields: Iterable[tuple[str, str]],
                            outer: Iterable[tuple[str, str]] = (), *,
                            encrypted: bool = True) -> None:
    """Make ``fields`` the protected header fields of ``root``, in both forms.

    Every header of ``root`` that does not describe its content (``Content-*``,
    ``MIME-Version``) is removed first. ``outer`` are the fields as the message carries
    them outside; each becomes an ``HP-Outer`` field (RFC 9788), so a reader can tell
    which were obscured. ``encrypted`` chooses ``hp="cipher"`` over ``hp="clear"``.
    """
    clear_protected_headers(root)
    for name, value in fields:
        root[name] = value
    for name, value in outer:
        root[HP_OUTER] = f"{name}: {value}"
    root.set_param("hp", "cipher" if encrypted else "clear")
    root.set_param("protected-headers", "v1")


@public
def clear_protected_headers(root: Message) -> None:
    """Take from ``root`` every header that does not describe its content, and the marks.

    What a client shows is then the outer header of the message alone.
    """
    for name in {name.lower() for name in root.keys()}:
        if not _describes_content(name):
            del root[name]
    for parameter in ("hp", "protected-headers"):
        if root.get_param(parameter, header="content-type") is not None:
            root.del_param(parameter, header="Content-Type")


@public
def without_legacy_display(root: Message) -> None:
    """Remove from ``root`` the part that shows its protected fields to old clients.

    RFC 9788's Legacy Display Element (``hp-legacy-display="1"``) or the older
    ``text/rfc822-headers; protected-headers="v1"`` part: the first part of a
    ``multipart/mixed`` root. Its text no longer matches once the fields change.
    """
    if root.get_content_type() != "multipart/mixed":
        return
    parts = root.get_payload()
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], Message):
        return
    first = parts[0]
    if _parameter(first, "hp-legacy-display") == "1" or (
            first.get_content_type() == "text/rfc822-headers"
            and _parameter(first, "protected-headers") == "v1"):
        root.set_payload(parts[1:])


@public
def seven_bit_value(name: str, value: object) -> str:
    """``value`` of the header ``name`` as one line of 7-bit text, meaning kept.

    8-bit text becomes UTF-8 encoded words (addresses stay outside them); encoded
    words that do not decode (an unknown charset, bytes invalid in theirs) are decoded
    with replacement characters and encoded again, so any later reader can decode it.
    """
    text = str(value)
    if _SURROGATES.search(text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = _LINE_BREAKS.sub(" ", text).strip()
    if text.isascii():
        try:
            str(make_header(decode_header(text)))
        except (HeaderParseError, LookupError, UnicodeError, ValueError):
            text = decoded_text(text)
        else:
            return text
    if name.lower() in _ADDRESS_FIELDS:
        pairs = getaddresses([text])
        if pairs and all(address.isascii() for _, address in pairs):
            return ", ".join(formataddr(pair, charset="utf-8") for pair in pairs)
    return Header(text, "utf-8", header_name=name).encode(maxlinelen=0)


@public
def decoded_text(value: object) -> str:
    """``value`` with its encoded words decoded, never failing: what a reader would see.

    Encoded words in a charset Python does not know, or bytes that are not valid in
    theirs, are decoded as UTF-8 with replacement characters.
    """
    text = str(value)
    try:
        chunks = decode_header(text)
    except HeaderParseError:
        return text
    readable: list[tuple[bytes | str, str | None]] = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            try:
                chunk.decode(charset or "ascii")
            except (LookupError, UnicodeError):
                chunk, charset = chunk.decode("utf-8", "replace").encode("utf-8"), "utf-8"
        readable.append((chunk, charset))
    try:
        return str(make_header(readable))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return text


def _describes_content(name: str) -> bool:
    return name.startswith("content-") or name == "mime-version"


def _parameter(entity: Message, name: str) -> str | None:
    value = entity.get_param(name, header="content-type")
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text)
        value = value[2]
    return value.strip().strip('"').lower() if isinstance(value, str) else None
