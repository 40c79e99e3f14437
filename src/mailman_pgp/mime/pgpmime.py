"""RFC 3156 PGP/MIME: read and build ``multipart/encrypted`` and ``multipart/signed``.

Crypto is not done here: ``encrypted_payload`` and ``split_signed`` hand out the bytes
to decrypt or verify, ``build_encrypted`` and ``build_signed`` wrap the bytes the
OpenPGP layer made. Anything that is not well-formed RFC 3156 raises
``MalformedPGPMIME`` saying what is wrong, so callers fail closed.
"""

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.header import Header
from email.message import Message

from public import public

from mailman_pgp.mime import armor
from mailman_pgp.mime.entity import CRLF, decoded_body, embedded_bytes, parse_entity, subparts
from mailman_pgp.mime.errors import MalformedPGPMIME, MIMEError

ENCRYPTED_PROTOCOL = "application/pgp-encrypted"
SIGNATURE_PROTOCOL = "application/pgp-signature"
_VERSION_LINE = re.compile(r"^Version:[ \t]*1[ \t]*\r?$", re.MULTILINE)
_MICALG = re.compile(r"^pgp-[a-z0-9-]+$")
_ENCRYPTED_PREAMBLE = "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)"
_SIGNED_PREAMBLE = "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)"


@public
@dataclass(frozen=True)
class SignedParts:
    """The pieces of a ``multipart/signed`` message."""

    content: Message  # the signed entity (the first part itself, not a copy)
    signed_bytes: bytes  # its canonical bytes exactly as transmitted: verify these
    signature: bytes  # the application/pgp-signature part's armor
    micalg: str  # e.g. "pgp-sha256", lower case


@public
def encrypted_payload(msg: Message) -> bytes:
    """The armored OpenPGP message in the ``application/octet-stream`` part of ``msg``.

    ``msg`` must be an RFC 3156 ``multipart/encrypted``: protocol
    ``application/pgp-encrypted``, a version part saying ``Version: 1``, then the armor.
    """
    version, payload = _two_parts(msg, "encrypted", ENCRYPTED_PROTOCOL)
    if version.get_content_type() != ENCRYPTED_PROTOCOL:
        raise MalformedPGPMIME(
            "The first part of the multipart/encrypted message is "
            f"{version.get_content_type()}, not the application/pgp-encrypted version part."
        )
    version_text = decoded_body(version).decode("ascii", "replace")
    if not _VERSION_LINE.search(version_text):
        raise MalformedPGPMIME(
            "The version part of the multipart/encrypted message does not say Version: 1."
        )
    if payload.get_content_type() != "application/octet-stream":
        raise MalformedPGPMIME(
            "The second part of the multipart/encrypted message is "
            f"{payload.get_content_type()}, not the application/octet-stream with the "
            "encrypted data."
        )
    return _single_block(payload, armor.MESSAGE, "encrypted data").data


@public
def build_encrypted(ciphertext: bytes, *, envelope: Iterable[tuple[str, str | Header]] = (),
                    _class: type[Message] = Message) -> Message:
    """A ``multipart/encrypted`` message around armored ``ciphertext``.

    ``envelope`` (From, To, Subject, ... as name and value pairs) comes first, in its order,
    then the MIME headers; the caller leaves out of it what must not be there.
    """
    block = _only_block(ciphertext, armor.MESSAGE, "ciphertext")
    version = _class()
    version["Content-Type"] = ENCRYPTED_PROTOCOL
    version["Content-Description"] = "PGP/MIME version identification"
    version.set_payload("Version: 1\r\n")
    payload = _class()
    payload.add_header("Content-Type", "application/octet-stream", name="encrypted.asc")
    payload["Content-Description"] = "OpenPGP encrypted message"
    payload.add_header("Content-Disposition", "inline", filename="encrypted.asc")
    payload.set_payload(_crlf(block))
    message = _multipart(
        _class, "encrypted", {"protocol": ENCRYPTED_PROTOCOL}, _ENCRYPTED_PREAMBLE,
        [version, payload],
    )
    mime_headers = list(message.items())
    for name in list(message.keys()):
        del message[name]
    for name, value in envelope:
        # compat32 takes Header objects as values; typeshed's Message says str.
        message[name] = value  # type: ignore[assignment]
    for name, value in mime_headers:
        message[name] = value
    return message


@public
def split_signed(msg: Message) -> SignedParts:
    """The signed entity, the exact bytes to verify, the signature and the hash name.

    ``signed_bytes`` is written from the raw text the parser stored for the first part,
    with CRLF line endings, not re-generated, so that what a client signed verifies.
    """
    content, signature_part = _two_parts(msg, "signed", SIGNATURE_PROTOCOL)
    micalg = str(msg.get_param("micalg", "", header="content-type")).strip().lower()
    if not micalg:
        raise MalformedPGPMIME("The multipart/signed message has no micalg parameter.")
    if signature_part.get_content_type() != SIGNATURE_PROTOCOL:
        raise MalformedPGPMIME(
            "The second part of the multipart/signed message is "
            f"{signature_part.get_content_type()}, not application/pgp-signature."
        )
    signature = _single_block(signature_part, armor.SIGNATURE, "signature").data
    return SignedParts(content, embedded_bytes(content, CRLF), signature, micalg)


@public
def build_signed(
    signed_bytes: bytes, signature: bytes, micalg: str, *, _class: type[Message] = Message
) -> Message:
    """A ``multipart/signed`` message of the signed entity and its detached ``signature``.

    ``signed_bytes`` are what was signed: ``canonical_bytes(content)`` of the entity.
    They become the first part, parsed, so that it is written out exactly so again
    (checked: `MIMEError` otherwise).
    """
    micalg = micalg.strip().lower()
    if not _MICALG.match(micalg):
        raise MIMEError(f"{micalg!r} is not a PGP/MIME micalg such as pgp-sha256.")
    block = _only_block(signature, armor.SIGNATURE, "signature")
    first = parse_entity(signed_bytes, _class=_class)
    signature_part = _class()
    signature_part.add_header("Content-Type", SIGNATURE_PROTOCOL, name="OpenPGP_signature.asc")
    signature_part["Content-Description"] = "OpenPGP digital signature"
    signature_part.add_header(
        "Content-Disposition", "attachment", filename="OpenPGP_signature.asc"
    )
    signature_part.set_payload(_crlf(block))
    msg = _multipart(
        _class, "signed", {"micalg": micalg, "protocol": SIGNATURE_PROTOCOL}, _SIGNED_PREAMBLE,
        [first, signature_part],
    )
    if split_signed(msg).signed_bytes != signed_bytes:
        raise MIMEError("The signed part would not be transmitted as it was signed.")
    return msg


def _crlf(armor_block: bytes) -> str:
    # CRLF like the signed part, so that entity_bytes() of a built message writes CRLF.
    return "\r\n".join(armor_block.decode("ascii").splitlines()) + "\r\n"


def _multipart(
    _class: type[Message], subtype: str, params: dict[str, str], preamble: str,
    parts: Sequence[Message],
) -> Message:
    msg = _class()
    msg["MIME-Version"] = "1.0"
    boundary = "=_" + secrets.token_hex(16)
    msg.add_header("Content-Type", f"multipart/{subtype}", **params, boundary=boundary)
    msg.preamble = preamble
    msg.set_payload(list(parts))
    return msg


def _two_parts(msg: Message, subtype: str, protocol: str) -> tuple[Message, Message]:
    what = f"multipart/{subtype}"
    if msg.get_content_type() != what:
        raise MalformedPGPMIME(f"The message is {msg.get_content_type()}, not {what}.")
    given = str(msg.get_param("protocol", "", header="content-type")).strip().lower()
    if given != protocol:
        raise MalformedPGPMIME(
            f"The {what} message has protocol {given or '(none)'!r}, not {protocol!r}."
        )
    if msg.get_boundary() is None:
        raise MalformedPGPMIME(f"The {what} message has no boundary parameter.")
    parts = subparts(msg)
    if not parts:
        raise MalformedPGPMIME(f"The boundary of the {what} message does not occur in its body.")
    if len(parts) != 2:
        raise MalformedPGPMIME(
            f"The {what} message has {len(parts)} part{'s' if len(parts) != 1 else ''}, "
            "not the two RFC 3156 requires."
        )
    return parts[0], parts[1]


def _single_block(part: Message, label: str, what: str) -> armor.ArmorBlock:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        raise MalformedPGPMIME(f"The {what} part is empty.")
    blocks = [block for block in armor.find_blocks(data) if block.label == label]
    if not blocks:
        raise MalformedPGPMIME(f"The {what} part holds no armored PGP {label.lower()}.")
    if len(blocks) > 1:
        raise MalformedPGPMIME(f"The {what} part holds more than one armored PGP {label.lower()}.")
    armor.check_block(blocks[0])
    return blocks[0]


def _only_block(data: bytes, label: str, what: str) -> bytes:
    blocks = armor.find_blocks(bytes(data))
    if len(blocks) != 1 or blocks[0].label != label or data[: blocks[0].start].strip():
        raise MIMEError(f"The {what} is not a single ASCII-armored PGP {label.lower()}.")
    armor.check_block(blocks[0])
    return blocks[0].data
