"""PGP/MIME that a mail system mangled on the way, recognised and repaired.

Two manglings of ``multipart/encrypted`` are common enough to repair (after
draft-dkg-openpgp-pgpmime-message-mangling):

* a list or gateway that wraps the message in ``multipart/mixed`` and adds a short
  text part before or after it (a header or footer; Mailman's own decoration does this),
  perhaps more than once on the way;
* Exchange's "mixed-up" encryption: ``multipart/mixed`` holding an empty ``text/plain``,
  then the ``application/pgp-encrypted`` and ``application/octet-stream`` parts.

`mangling_of` recognises them from the top level and its direct children (no recursion,
a bounded number of wrappings) and never raises; `repaired` gives back the
``multipart/encrypted`` structure, the ciphertext part untouched and the added text
dropped. Whether the repaired structure is well-formed RFC 3156 is for
``encrypted_payload`` to say, so damaged PGP/MIME is refused, not passed on as plain.
"""

from __future__ import annotations

import secrets
from email.message import Message
from enum import Enum

from public import public

from mailman_pgp.mime.entity import subparts
from mailman_pgp.mime.errors import MalformedPGPMIME

ENCRYPTED_PROTOCOL = "application/pgp-encrypted"
# Wrappings undone at most: each list or gateway on the way adds one.
MAX_WRAPPINGS = 4
# The most an added header or footer text may hold (its encoded body); a longer text
# is content the sender sent unencrypted beside the encrypted part, not a footer.
MAX_ADDED_TEXT = 8 * 1024
_ARMOR = b"-----BEGIN PGP "


@public
class Mangling(Enum):
    """How a mail system changed a ``multipart/encrypted`` message on its way."""

    NONE = "none"  # not one of the manglings below (well-formed, or something else)
    WRAPPED = "wrapped"  # inside multipart/mixed with an added header or footer text
    MIXED_UP = "mixed-up"  # Exchange's multipart/mixed of text/plain, version, ciphertext


@public
def mangling_of(msg: Message) -> Mangling:
    """Which mangling ``msg`` shows at its top level; never raises."""
    if _mixed_up_parts(msg) is not None:
        return Mangling.MIXED_UP
    if _wrapped_part(msg) is not None:
        return Mangling.WRAPPED
    return Mangling.NONE


@public
def repaired(msg: Message) -> Message:
    """The ``multipart/encrypted`` structure of ``msg``: ``msg`` itself when it is one,
    otherwise a new message rebuilt from the mangled one (`mangling_of`).

    The rebuilt message has the top-level headers of ``msg`` except its content headers,
    and the parts that carry the encryption, the same objects, unchanged; the text a list
    or gateway added is dropped. ``msg`` is not modified. Raises `MalformedPGPMIME` when
    ``msg`` is neither ``multipart/encrypted`` nor mangled PGP/MIME.
    """
    if msg.get_content_type() == "multipart/encrypted":
        return msg
    mixed_up = _mixed_up_parts(msg)
    if mixed_up is not None:
        return _rebuilt(msg, ENCRYPTED_PROTOCOL, mixed_up)
    wrapped = _wrapped_part(msg)
    if wrapped is not None:
        protocol = str(wrapped.get_param("protocol", "", header="content-type"))
        return _rebuilt(msg, protocol, subparts(wrapped))
    raise MalformedPGPMIME(
        f"The message is {msg.get_content_type()}, not multipart/encrypted, and not"
        " PGP/MIME that a mail system rearranged on the way.")


def _mixed_up_parts(msg: Message) -> list[Message] | None:
    # Exchange: exactly three children, the first an empty text/plain, then the version
    # part and the ciphertext as RFC 3156 orders them.
    if msg.get_content_type() != "multipart/mixed":
        return None
    parts = subparts(msg)
    if len(parts) != 3:
        return None
    empty, version, payload = parts
    if (empty.get_content_type() != "text/plain" or empty.is_multipart()
            or _stored_text(empty).strip()):
        return None
    if (version.get_content_type() != ENCRYPTED_PROTOCOL
            or payload.get_content_type() != "application/octet-stream"):
        return None
    return [version, payload]


def _wrapped_part(msg: Message) -> Message | None:
    # Unwrap multipart/mixed layers of [added text?, inner, added text?] until the inner
    # part is multipart/encrypted; at most MAX_WRAPPINGS of them, looked at one by one.
    current = msg
    for _ in range(MAX_WRAPPINGS):
        if current.get_content_type() != "multipart/mixed":
            return None
        inner = _inner_of_wrapping(subparts(current))
        if inner is None:
            return None
        if inner.get_content_type() == "multipart/encrypted":
            return inner
        current = inner
    return None


def _inner_of_wrapping(parts: list[Message]) -> Message | None:
    # The one multipart part among two or three, the others short added texts.
    if not 2 <= len(parts) <= 3:
        return None
    inner = [part for part in parts if part.is_multipart()]
    if len(inner) != 1:
        return None
    position = parts.index(inner[0])
    added = parts[:position] + parts[position + 1:]
    if len(parts) == 3 and position != 1:
        return None
    if not all(_is_added_text(part) for part in added):
        return None
    return inner[0]


def _is_added_text(part: Message) -> bool:
    # A header or footer: short text/plain that is not itself PGP.
    if part.get_content_type() != "text/plain" or part.is_multipart():
        return False
    text = _stored_text(part)
    return len(text) <= MAX_ADDED_TEXT and _ARMOR not in text.encode("ascii", "replace")


def _stored_text(part: Message) -> str:
    # The body as stored (transfer-encoded), not decoded: get_payload() decodes 8-bit
    # text with the charset parameter, and raises for some; this attribute never does.
    payload = getattr(part, "_payload", None)
    return payload if isinstance(payload, str) else ""


def _rebuilt(msg: Message, protocol: str, parts: list[Message]) -> Message:
    rebuilt = type(msg)()
    for name, value in msg.items():
        if not name.lower().startswith("content-"):
            rebuilt[name] = value
    rebuilt.add_header("Content-Type", "multipart/encrypted", protocol=protocol)
    rebuilt.set_boundary("=_repaired_" + secrets.token_hex(16))
    rebuilt.set_payload(list(parts))
    return rebuilt
