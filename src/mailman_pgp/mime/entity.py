"""MIME entities as bytes: parse, serialize byte-exactly, and the canonical form signatures cover.

Mailman works on ``email.message.Message`` objects with the ``compat32`` policy. These keep
each header's raw text and each body's raw text, but the ``email`` generator does not
write them back unchanged: it drops a trailing space of a folded header line, writes
``X:`` as ``X: ``, and adds a blank line after a nested multipart's closing boundary.
That is harmless for most mail, but it breaks signatures over decrypted plaintext and
over the first part of a ``multipart/signed``. So ``entity_bytes`` writes the stored raw
text back; it uses the ``email`` package's own folding only for headers set by code.

``canonical_bytes`` is RFC 3156 section 5: the 7-bit, CRLF form of an entity that a
signature covers, chosen so that it survives every way Mailman writes a message out
(``as_string``, ``as_bytes``, ``smtplib.send_message`` which mangles ``From `` and
refolds headers at 78 columns, pickling between runners).
"""

import base64
import io
import quopri
import re
import secrets
from copy import deepcopy
from dataclasses import dataclass
from email import message_from_bytes
from email.charset import UNKNOWN8BIT
from email.errors import HeaderParseError
from email.generator import BytesGenerator, Generator
from email.header import Header
from email.message import Message
from email.policy import compat32
from email.utils import formataddr, getaddresses

from public import public

from mailman_pgp.mime.errors import MIMEError, NestedTooDeeply, TooManyParts, UnreadableEntity

CRLF = "\r\n"
# Deeper than mail clients nest (a forward inside a forward adds two levels), and far from
# where the email package runs out of Python's recursion limit: near 200 levels when it
# writes an entity, near 1,000 when it parses one.
MAX_DEPTH = 32
# The deepest nesting a site may allow: the email package's generator, which Mailman uses to
# write every message out, fails near 200 levels.
DEPTH_CEILING = 100
_NEWLINE = re.compile(r"\r\n|\r|\n")
# RFC 5322 section 2.1.1: at most 998 characters a line, without the CRLF.
_MAX_LINE = 998
# What an MTA or smtplib may change in a line: a leading "From " (mangled), trailing
# blanks (stripped), control characters other than tab (dropped or rejected).
_UNSAFE = re.compile(
    r"(?:^|(?<=\r))From |[ \t](?=\r\n|\r|\n|\Z)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]",
    re.MULTILINE,
)
_FROM_LINE = re.compile(rb"^From ", re.MULTILINE)
_LONE_CR = re.compile(rb"\r(?!\n)")
_ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender"}


@public
@dataclass(frozen=True)
class MIMELimits:
    """How deep parts of a message may nest (``depth``, at most `DEPTH_CEILING`) and how
    many parts it may hold in all (``parts``, multiparts and the message itself counted)."""

    depth: int = MAX_DEPTH
    parts: int = 1000

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= DEPTH_CEILING:
            raise ValueError(f"depth must be from 1 to {DEPTH_CEILING}, not {self.depth}")
        if self.parts < 1:
            raise ValueError(f"parts must be at least 1, not {self.parts}")

    def check(self, msg: Message) -> None:
        """`NestedTooDeeply` or `TooManyParts` when ``msg`` is over these limits."""
        depth, parts = mime_shape(msg)
        if depth > self.depth:
            raise NestedTooDeeply(self.too_deep())
        if parts > self.parts:
            raise TooManyParts(
                f"The message holds {parts} MIME parts, more than the {self.parts} this list"
                " reads.")

    def too_deep(self) -> str:
        return f"The message nests MIME parts more than {self.depth} levels deep."


DEFAULT_MIME_LIMITS = MIMELimits()


@public
def parse_entity(data: bytes, *, limits: MIMELimits = DEFAULT_MIME_LIMITS,
                 _class: type[Message] = Message) -> Message:
    """Parse ``data`` (a message or a MIME entity, e.g. a decrypted plaintext) with compat32.

    Raises `NestedTooDeeply` or `TooManyParts` for an entity over ``limits``: the email
    package recurses once a level or more, and fails past Python's recursion limit; and
    `UnreadableEntity` for what the parser itself fails on.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"parse_entity() takes bytes, not {type(data).__name__}")
    try:
        entity = message_from_bytes(bytes(data), _class=_class, policy=compat32)
    except RecursionError:
        raise NestedTooDeeply(limits.too_deep()) from None
    except (ValueError, LookupError) as error:
        # ValueError: a boundary parameter in RFC 2231 form whose charset holds a NUL.
        raise UnreadableEntity(f"The message cannot be parsed as MIME: {error}.") from None
    limits.check(entity)
    return entity


@public
def subparts(msg: Message) -> list[Message]:
    """The parts of a multipart ``msg`` (the list it holds, not a copy); [] for a single part."""
    # Not get_payload(): for a body with 8-bit bytes it decodes them with the charset
    # parameter, and raises ValueError for one holding a NUL.
    payload = _stored_payload(msg)
    return payload if isinstance(payload, list) else []


@public
def decoded_body(part: Message) -> bytes:
    """The body of a single (not multipart) ``part``, transfer encoding undone; b"" if none."""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


@public
def mime_depth(msg: Message) -> int:
    """How deep parts nest in ``msg``: 0 for a single part; counted without recursion."""
    return mime_shape(msg)[0]


@public
def mime_shape(msg: Message) -> tuple[int, int]:
    """How deep parts nest in ``msg`` and how many entities it holds, itself included.

    Counted without recursion; a message/rfc822 part and the message it carries count
    as two levels, as the email package nests them.
    """
    deepest = 0
    count = 0
    pending = [(msg, 0)]
    while pending:
        part, level = pending.pop()
        count += 1
        deepest = max(deepest, level)
        if part.is_multipart():
            pending.extend((child, level + 1) for child in subparts(part))
    return deepest, count


@public
def entity_bytes(msg: Message, linesep: str | None = None) -> bytes:
    """``msg`` serialized from its raw parsed text: no refolding, no ``>From`` mangling.

    ``linesep`` defaults to the line ending most of the message's stored text uses, so
    a parsed entity comes back byte for byte whether it arrived with LF or CRLF. The
    parser keeps no trace of a few things, which therefore come back normalized: the
    space after a header's colon (always one), and the line ending of a message whose
    stored text holds no line break at all (LF unless ``linesep`` says otherwise).
    """
    if linesep is None:
        linesep = _dominant_linesep(msg)
    return _write(msg, linesep, top=True)


@public
def embedded_bytes(part: Message, linesep: str = CRLF) -> bytes:
    """The bytes of ``part`` as they stand between two boundaries of its parent multipart.

    The line ending before the next boundary belongs to that boundary (RFC 2046 5.1.1),
    so it is not part of these bytes.
    """
    return _write(part, linesep, top=False)


@public
def canonical_bytes(msg: Message) -> bytes:
    """The RFC 3156 canonical form of ``msg``: what a signature over it covers.

    Parts with 8-bit data, overlong lines, trailing whitespace or lines starting with
    ``From `` are re-encoded (quoted-printable for text, base64 otherwise) and 8-bit
    headers are RFC 2047 encoded, in a copy; line endings are CRLF. Multiparts of ``msg``
    without a boundary get one, as the generator would give them. The result is checked
    to come back unchanged from each way Mailman serializes a message.
    """
    _assign_boundaries(msg)
    prepared = _seven_bit_copy(msg)
    try:
        canonical = _generate(prepared, mangle_from=False, maxheaderlen=78)
        reparsed = parse_entity(canonical)
        written = (
            _generate(reparsed, mangle_from=True, maxheaderlen=None),  # smtplib.send_message
            _generate(reparsed, mangle_from=False, maxheaderlen=0),  # Message.as_bytes
            _to_crlf(_as_string(reparsed)),  # Message.as_string
            entity_bytes(reparsed, CRLF),
        )
    except HeaderParseError as error:
        # A header value holding what the generator takes for a line break (a form feed,
        # say) before "Name:": written out, it would become a header of its own.
        raise MIMEError(
            "A header of the message holds a line break the email package would turn into "
            "a header of its own; it cannot be signed."
        ) from error
    if any(text != canonical for text in written):
        raise MIMEError(
            "The message cannot be brought into a canonical form that survives sending; "
            "it cannot be signed."
        )
    return canonical


def _as_string(msg: Message) -> str:
    fp = io.StringIO()
    Generator(fp, mangle_from_=False, maxheaderlen=0).flatten(msg)
    return fp.getvalue()


def _to_crlf(text: str) -> bytes:
    return CRLF.join(_NEWLINE.split(text)).encode("ascii", "surrogateescape")


def _generate(msg: Message, *, mangle_from: bool, maxheaderlen: int | None) -> bytes:
    fp = io.BytesIO()
    BytesGenerator(fp, mangle_from_=mangle_from, maxheaderlen=maxheaderlen).flatten(
        msg, linesep=CRLF
    )
    return fp.getvalue()


def _write(msg: Message, nl: str, top: bool) -> bytes:
    out = io.BytesIO()
    for name, value in msg.raw_items():
        out.write(_header_bytes(name, value, nl))
    out.write(nl.encode())
    payload = _stored_payload(msg)
    if isinstance(payload, list) and msg.get_content_maintype() == "multipart":
        out.write(_multipart_bytes(msg, payload, nl, top))
    elif isinstance(payload, list):
        # message/rfc822 and friends: the generator writes the first (only) message.
        if payload:
            out.write(_write(payload[0], nl, top))
    elif payload is not None and _is_binary(msg):
        # Raw octets: a CR or LF in them is data, not a line ending.
        out.write(payload.encode("utf-8", "surrogateescape"))
    elif payload is not None:
        out.write(_lines(payload, nl))
    return out.getvalue()


def _stored_payload(msg: Message) -> list[Message] | str | None:
    # The stored raw body is needed; get_payload() decodes 8-bit text, so read the
    # attribute the generator itself reads (typeshed does not declare it).
    payload: list[Message] | str | None = msg._payload  # type: ignore[attr-defined]
    return payload


def _is_binary(part: Message) -> bool:
    return str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "binary"


def _multipart_bytes(msg: Message, parts: list[Message], nl: str, top: bool) -> bytes:
    boundary = msg.get_boundary()
    if boundary is None:
        boundary = _new_boundary()
        msg.set_boundary(boundary)
    out = io.BytesIO()
    if msg.preamble is not None:
        out.write(_lines(msg.preamble, nl) + nl.encode())
    delimiter = f"--{boundary}".encode("ascii", "surrogateescape")
    for index, part in enumerate(parts):
        if index:
            out.write(nl.encode())
        out.write(delimiter + nl.encode() + _write(part, nl, top=False))
    if not parts:
        out.write(delimiter + nl.encode())
    out.write(nl.encode() + delimiter + b"--")
    # The parser leaves the epilogue None when a nested multipart's closing boundary
    # is followed directly by the parent's boundary, '' when a blank line follows.
    if msg.epilogue is not None:
        out.write(nl.encode() + _lines(msg.epilogue, nl))
    elif top:
        out.write(nl.encode())
    return out.getvalue()


def _header_bytes(name: str, value: object, nl: str) -> bytes:
    if isinstance(value, str) and _is_raw(value):
        return f"{name}: {_lines(value, nl).decode('ascii', 'surrogateescape')}{nl}".encode(
            "ascii", "surrogateescape"
        )
    # A Header object or text with non-ASCII characters, set by code: encode as
    # RFC 2047 and fold, as the generator would (compat32 folds Header objects too,
    # which typeshed's str parameter leaves out).
    return compat32.clone(linesep=nl).fold_binary(name, value)  # type: ignore[arg-type]


def _is_raw(text: str) -> bool:
    """True when ``text`` holds only ASCII and bytes the parser stored as surrogates."""
    return all(ord(char) < 128 or 0xDC80 <= ord(char) <= 0xDCFF for char in text)


def _lines(text: str, nl: str) -> bytes:
    return nl.join(_NEWLINE.split(text)).encode("utf-8", "surrogateescape")


def _dominant_linesep(msg: Message) -> str:
    crlf = lf = 0
    for part in msg.walk():
        texts = [value for _, value in part.raw_items() if isinstance(value, str)]
        texts += [part.preamble or "", part.epilogue or ""]
        payload = _stored_payload(part)
        if isinstance(payload, str):
            texts.append(payload)
        for text in texts:
            count = text.count("\r\n")
            crlf += count
            lf += text.count("\n") - count
    return CRLF if crlf > lf else "\n"


def _new_boundary() -> str:
    return "=_" + secrets.token_hex(16)


def _assign_boundaries(msg: Message) -> None:
    for part in msg.walk():
        if isinstance(_stored_payload(part), list) \
                and part.get_content_maintype() == "multipart" and part.get_boundary() is None:
            part.set_boundary(_new_boundary())


def _seven_bit_copy(msg: Message) -> Message:
    copy = deepcopy(msg)
    for part in copy.walk():
        _encode_headers(part)
        payload = _stored_payload(part)
        if part.is_multipart():
            cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
            if cte in ("8bit", "binary"):
                part.replace_header("Content-Transfer-Encoding", "7bit")
            if part.preamble is not None and not _is_safe(part.preamble):
                part.preamble = None
            if part.epilogue is not None and not _is_safe(part.epilogue):
                part.epilogue = None
        elif isinstance(payload, str) and part.get_content_maintype() == "multipart":
            # The parser found none of its boundaries; the generator would write such
            # a part differently each time it is parsed again.
            raise MIMEError(
                f"A {part.get_content_type()} part has none of its boundaries in its body; "
                "it cannot be signed."
            )
        elif isinstance(payload, str):
            cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
            if cte == "binary" or not _is_safe(payload):
                _reencode_body(part)
            elif cte == "8bit":
                part.replace_header("Content-Transfer-Encoding", "7bit")
    return copy


def _encode_headers(part: Message) -> None:
    items = list(part.raw_items())
    if all(not isinstance(value, str) or value.isascii() for _, value in items):
        return
    charset = part.get_content_charset()
    for name in {name for name, _ in items}:
        del part[name]
    for name, value in items:
        if isinstance(value, str) and not value.isascii():
            # compat32 takes Header objects as values; typeshed's Message says str.
            part[name] = _encoded_header(name, value, charset)  # type: ignore[assignment]
        else:
            part[name] = value


def _encoded_header(name: str, value: str, charset: str | None) -> str | Header:
    """An 8-bit header value as RFC 2047 encoded words; addresses stay outside them, and
    the MIME headers that are not text take another form (`_encoded_mime_header`)."""
    if name.lower().startswith("content-") and name.lower() != "content-description":
        return _encoded_mime_header(name, value)
    raw = value.encode("utf-8", "surrogateescape")
    unfolded = b" ".join(line.strip() for line in re.split(rb"\r\n|\r|\n", raw))
    for guess in ("utf-8", charset):
        try:
            text = unfolded.decode(guess) if guess else None
        except (LookupError, ValueError):  # ValueError: a NUL in the name, undecodable
            continue
        if text is None:
            break
        pairs = getaddresses([text])
        # An address itself in 8 bits (RFC 6532) has no 7-bit form: the whole value is
        # then encoded like any other text.
        if name.lower() in _ADDRESS_HEADERS and all(addr.isascii() for _, addr in pairs):
            return ", ".join(formataddr(pair, charset="utf-8") for pair in pairs)
        return Header(text, "utf-8", header_name=name)
    return Header(unfolded, UNKNOWN8BIT, header_name=name)


def _encoded_mime_header(name: str, value: str) -> str:
    """An 8-bit Content-Type or Content-Disposition with its parameters RFC 2231 encoded.

    Encoded words are read as text only where a header holds text: an encoded
    Content-Type would no longer name the part's type, and the signed form would be read
    as another message. So `MIMEError` for an 8-bit type, disposition, parameter name,
    or any other MIME header (Content-Transfer-Encoding, Content-ID) in 8 bits.
    """
    try:
        text = value.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeDecodeError:
        text = None
    parsed = Message()
    parsed[name] = text or ""
    params = parsed.get_params(header=name) if text is not None else None
    if (name.lower() not in ("content-type", "content-disposition") or not params
            or not all(key.isascii() for key, _ in params)):
        raise MIMEError(f"The {name} header of a part holds 8-bit bytes that cannot be"
                        " written in 7 bits; the message cannot be signed.")
    rebuilt = Message()
    rebuilt[name] = params[0][0]
    for key, param in params[1:]:
        wide = isinstance(param, str) and not param.isascii()
        rebuilt.set_param(key, param, header=name, charset="utf-8" if wide else None)
    return str(rebuilt[name])


def _is_safe(text: str) -> bool:
    """True when ``text`` passes unchanged through any MTA and through ``smtplib``."""
    if not text.isascii():
        return False
    if len(text) > _MAX_LINE and max(map(len, _NEWLINE.split(text))) > _MAX_LINE:
        return False
    return _UNSAFE.search(text) is None


def _reencode_body(part: Message) -> None:
    data = decoded_body(part)
    binary = str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "binary"
    del part["Content-Transfer-Encoding"]
    # Quoted-printable leaves a CR that is not part of a CRLF as it is, and the generator
    # then writes it as a line break: such text changes each time it is written.
    if part.get_content_maintype() == "text" and not binary and not _LONE_CR.search(data):
        encoded = _FROM_LINE.sub(b"=46rom ", quopri.encodestring(data))
        part.set_payload(encoded.decode("ascii"))
        part["Content-Transfer-Encoding"] = "quoted-printable"
    else:
        part.set_payload(base64.encodebytes(data).decode("ascii"))
        part["Content-Transfer-Encoding"] = "base64"


# Headers that describe a body rather than a message: they go inside the encryption
# with the body; all other headers (Subject, From, List-*, ...) describe the message.
CONTENT_HEADERS = frozenset({
    "content-type", "content-transfer-encoding", "content-disposition",
    "content-description", "content-id", "content-language", "mime-version",
})


@public
def content_entity(msg: Message) -> Message:
    """A copy of ``msg`` with only its `CONTENT_HEADERS`: the body, as it gets signed."""
    content = deepcopy(msg)
    for name in {name.lower() for name in content.keys()} - CONTENT_HEADERS:
        del content[name]
    return content


@public
def envelope_headers(msg: Message) -> list[tuple[str, str | Header]]:
    """The headers of ``msg`` that are not `CONTENT_HEADERS`, in order: what a copy of it
    carries around the encrypted body."""
    return [(name, value) for name, value in msg.items() if name.lower() not in CONTENT_HEADERS]
