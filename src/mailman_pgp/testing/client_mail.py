"""Mail as subscribers' clients build it, for tests: Thunderbird, Mutt, Enigmail-style inline
PGP and gpg users, and RFC 3156 taken apart by hand.

Independent of the plugin's own MIME code: these builders write the wire text as the
clients do, so that tests check our reading against what clients send. The message
builders return the message as it travels over SMTP (CRLF) unless they say otherwise;
``as_delivered`` gives the LF form a local mailbox or an LMTP server may hand on.
"""

from __future__ import annotations

import base64
import quopri
import re
from email import message_from_bytes
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText

from mailman_pgp.testing.gnupg import GnuPGClient

BOUNDARY = "------------enc0a1b2c3d4e5f6"
CRLF = b"\r\n"
ALICE = "Alice <alice@example.com>"
LIST = "test@example.com"


def crlf(text: str | bytes, charset: str = "utf-8") -> bytes:
    """``text`` with every line ending CRLF."""
    data = text.encode(charset) if isinstance(text, str) else text
    return CRLF.join(re.split(rb"\r\n|\n", data))


def as_delivered(wire: bytes) -> bytes:
    """The LF form of a message that travelled over SMTP with CRLF."""
    return wire.replace(CRLF, b"\n")


def quoted_printable(text: str, charset: str = "utf-8") -> bytes:
    """``text`` quoted-printable, CRLF, lines starting "From " protected (RFC 3156 3)."""
    encoded = quopri.encodestring(crlf(text, charset))
    return re.sub(rb"(?m)^From ", b"=46rom ", encoded)


def encoded_word(text: str) -> str:
    """A header value as a client writes it: RFC 2047 encoded when not ASCII."""
    return Header(text, "utf-8").encode() if not text.isascii() else text


def text_body(text: str) -> bytes:
    """A text/plain UTF-8 quoted-printable entity with CRLF line ends, as Thunderbird makes."""
    charset = Charset("utf-8")
    charset.body_encoding = QP
    # MIMEText hands the charset to set_payload, which takes a Charset (typeshed: str only).
    entity = MIMEText(text, "plain", charset)  # type: ignore[arg-type]
    return entity.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def headers_text(headers: dict[str, str]) -> str:
    """Header lines, non-ASCII values RFC 2047 encoded as a mail client does."""
    return "".join(f"{name}: {encoded_word(value)}\n" for name, value in headers.items())


def pgp_mime_message(armor: bytes, headers: dict[str, str], boundary: str = BOUNDARY) -> bytes:
    """A ``multipart/encrypted`` message around ``armor``, laid out as Thunderbird does (LF)."""
    return (
        headers_text(headers)
        + "MIME-Version: 1.0\n"
        + 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n'
        + f' boundary="{boundary}"\n\n'
        + "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
        + f"--{boundary}\n"
        + "Content-Type: application/pgp-encrypted\n"
        + "Content-Description: PGP/MIME version identification\n\n"
        + "Version: 1\n\n"
        + f"--{boundary}\n"
        + 'Content-Type: application/octet-stream; name="encrypted.asc"\n'
        + "Content-Description: OpenPGP encrypted message\n"
        + 'Content-Disposition: inline; filename="encrypted.asc"\n\n'
        + armor.decode("ascii")
        + f"\n--{boundary}--\n"
    ).encode("ascii")


def pgp_mime_signed_entity(content: bytes, signature: bytes,
                           boundary: str = "------------sig9f8e7d6c5b4a") -> bytes:
    """A ``multipart/signed`` entity over ``content`` (CRLF, canonical) with ``signature``."""
    return (
        'Content-Type: multipart/signed; micalg=pgp-sha256;\r\n'
        f' protocol="application/pgp-signature"; boundary="{boundary}"\r\n\r\n'
        "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
        f"--{boundary}\r\n"
    ).encode() + content + (
        f"\r\n--{boundary}\r\n"
        'Content-Type: application/pgp-signature; name="OpenPGP_signature.asc"\r\n'
        "Content-Description: OpenPGP digital signature\r\n"
        'Content-Disposition: attachment; filename="OpenPGP_signature.asc"\r\n\r\n'
    ).encode() + signature.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + (
        f"\r\n--{boundary}--\r\n"
    ).encode()


def inline_message(armor: bytes, headers: dict[str, str]) -> bytes:
    """A plain-text message whose body is an armored block, as inline-PGP users send (LF)."""
    return (
        headers_text(headers)
        + "MIME-Version: 1.0\n"
        + "Content-Type: text/plain; charset=us-ascii\n"
        + "Content-Transfer-Encoding: 7bit\n\n"
    ).encode("ascii") + armor.replace(b"\r\n", b"\n")


def split_signed_raw(entity: bytes) -> tuple[bytes, bytes]:
    """The signed bytes and the signature of a ``multipart/signed`` entity, by RFC 3156 alone.

    The signed part is everything between the first boundary line and the CRLF before
    the next one; line ends are made CRLF first, as the signer did.
    """
    entity = entity.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    header_end = entity.index(b"\r\n\r\n")
    unfolded = entity[:header_end].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    match = re.search(rb'boundary="?([^";\r\n]+)"?', unfolded, re.I)
    assert match is not None, "the multipart/signed entity has no boundary"
    boundary = match.group(1)
    delimiter = b"\r\n--" + boundary
    first = entity.index(b"--" + boundary + b"\r\n") + len(boundary) + 4
    second = entity.index(delimiter, first)
    signed = entity[first:second]
    rest = entity[second + len(delimiter):]
    signature_part = rest[2:rest.index(delimiter)]
    signature = signature_part[signature_part.index(b"\r\n\r\n") + 4:]
    return signed, signature


# Messages of a whole client, from Alice to the list LIST, with fixed envelope headers.

def envelope(subject: str, message_id: str, **extra: str) -> dict[str, str]:
    """The headers Alice's client puts on a message; ``extra`` (e.g. User_Agent) first."""
    return {
        "Message-ID": f"<{message_id}@example.com>",
        "Date": "Tue, 24 Nov 2026 01:00:00 +0000",
        **{name.replace("_", "-"): value for name, value in extra.items()},
        "To": LIST,
        "From": ALICE,
        "Subject": subject,
    }


def thunderbird_inner(
    subject: str, body: str, message_id: str, attachment: tuple[str, bytes] | None = None
) -> bytes:
    """The protected-headers multipart/mixed entity that Thunderbird signs or encrypts."""
    boundary = f"------------{message_id}inner"
    text = (
        f'Content-Type: multipart/mixed; boundary="{boundary}";\n protected-headers="v1"\n'
        f"From: {ALICE}\nTo: {LIST}\nMessage-ID: <{message_id}@example.com>\n"
        f"Subject: {encoded_word(subject)}\n\n"
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
    ).encode() + quoted_printable(body)
    if attachment:
        name, data = attachment
        text += (
            f"\n--{boundary}\n"
            f'Content-Type: application/octet-stream; name="{name}"\n'
            f'Content-Disposition: attachment; filename="{name}"\n'
            "Content-Transfer-Encoding: base64\n\n"
        ).encode() + base64.encodebytes(data)
    text += f"\n--{boundary}--\n".encode()
    return crlf(text)


def thunderbird_signed(
    gpg: GnuPGClient, subject: str, body: str, message_id: str = "tbsigned",
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    """A Thunderbird multipart/signed message; the signature covers the inner entity."""
    inner = thunderbird_inner(subject, body, message_id, attachment)
    headers = envelope(subject, message_id, MIME_Version="1.0",
                       User_Agent="Mozilla Thunderbird", Content_Language="en-US")
    signed = pgp_mime_signed_entity(inner, gpg.sign_detached(inner),
                                    boundary=f"------------{message_id}outer")
    return crlf(headers_text(headers)) + signed


def mutt_signed(
    gpg: GnuPGClient, subject: str, body: str, message_id: str = "muttsigned"
) -> bytes:
    """A Mutt multipart/signed message of one quoted-printable text part, SHA-512."""
    boundary = f"{message_id}Mutt"
    part = crlf(
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Disposition: inline\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" + quoted_printable(body)
    )
    signature = gpg.sign_detached(part, digest="SHA512")
    head = headers_text(envelope(subject, message_id, MIME_Version="1.0")) + (
        "Content-Type: multipart/signed; micalg=pgp-sha512;\n"
        f'\tprotocol="application/pgp-signature"; boundary="{boundary}"\n'
        "Content-Disposition: inline\n\n"
        f"--{boundary}\n"
    )
    tail = (
        f"\n--{boundary}\n"
        'Content-Type: application/pgp-signature; name="signature.asc"\n'
        "Content-Description: signature.asc\n\n"
    ).encode() + signature + f"--{boundary}--\n".encode()
    return crlf(head) + part + crlf(tail)


def thunderbird_encrypted(
    gpg: GnuPGClient, recipient: str, plaintext: bytes, message_id: str = "tbencrypted",
    sign: bool = False,
) -> bytes:
    """A Thunderbird multipart/encrypted message of ``plaintext`` (a MIME entity)."""
    ciphertext = gpg.encrypt(plaintext, recipient, gpg.fingerprint() if sign else None)
    return crlf(pgp_mime_message(ciphertext, envelope("...", message_id),
                                 boundary=f"------------{message_id}"))


def inline_clearsigned(
    gpg: GnuPGClient, subject: str, body: str, charset: str = "utf-8", cte: str = "8bit"
) -> bytes:
    """A text/plain message whose body is a cleartext-signed text, as Enigmail sends it."""
    signed = gpg.clearsign(crlf(body, charset))
    encoded = quopri.encodestring(signed) if cte == "quoted-printable" else signed
    head = headers_text(envelope(subject, "inlinesigned", MIME_Version="1.0")) + (
        f"Content-Type: text/plain; charset={charset}\n"
        f"Content-Transfer-Encoding: {cte}\n\n"
    )
    return crlf(head) + crlf(encoded)


def inline_encrypted(gpg: GnuPGClient, recipient: str, body: bytes) -> bytes:
    """A text/plain message whose body is an armored PGP message."""
    return crlf(inline_message(gpg.encrypt(body, recipient),
                               envelope("...", "inlineencrypted")))


def key_attached(key: bytes, cte: str = "quoted-printable") -> bytes:
    """A Thunderbird message with a public key attached as application/pgp-keys."""
    encoded = quopri.encodestring(key) if cte == "quoted-printable" else base64.encodebytes(key)
    text = headers_text(envelope("my key", "keyattached", MIME_Version="1.0")).encode() + (
        'Content-Type: multipart/mixed; boundary="------------keys"\n\n'
        "This is a multi-part message in MIME format.\n"
        "--------------keys\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
        "Content-Transfer-Encoding: 7bit\n\n"
        "Here is my key.\n\n"
        "--------------keys\n"
        'Content-Type: application/pgp-keys; name="OpenPGP_0xALICE.asc"\n'
        'Content-Disposition: attachment; filename="OpenPGP_0xALICE.asc"\n'
        "Content-Description: OpenPGP public key\n"
        f"Content-Transfer-Encoding: {cte}\n\n"
    ).encode() + encoded + b"\n--------------keys--\n"
    return crlf(text)


def key_pasted(*blocks: bytes) -> bytes:
    """A plain text message with armored blocks pasted into its body between prose."""
    body = b"Hello list,\n\n" + b"\nand\n\n".join(blocks) + b"\nBye\n"
    head = headers_text(envelope("key", "keypasted", MIME_Version="1.0")) + (
        "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n"
    )
    return crlf(head) + crlf(body)


def read_as(client: GnuPGClient, msg: Message) -> Message:
    """``msg`` as its recipient's mail program shows it: a PGP/MIME copy decrypted with
    ``client`` and its signature wrapper taken off (the signature must be good), any
    other message as it is."""
    if msg.get_content_type() != "multipart/encrypted":
        return msg
    payload = msg.get_payload()
    assert isinstance(payload, list) and isinstance(payload[1], Message)
    opened = client.decrypt(str(payload[1].get_payload()).encode("ascii"))
    assert opened.has("DECRYPTION_OKAY"), opened.stderr
    signed, signature = split_signed_raw(opened.output)
    assert client.verify_detached(signature, signed).has("GOODSIG")
    return message_from_bytes(signed)


def text_of(msg: Message) -> str:
    """The decoded text of the first text/plain part of ``msg``, line ends as in Python."""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            text = data.decode(part.get_content_charset() or "utf-8")
            return text.replace("\r\n", "\n")
    raise AssertionError("no text/plain part")


# PGP/MIME as mail systems mangle it on the way (draft-dkg-openpgp-pgpmime-message-mangling).

def _head_and_body(message: bytes) -> tuple[list[bytes], list[bytes], bytes]:
    """The envelope header lines, the content header lines and the body of ``message`` (LF)."""
    data = as_delivered(message)
    head, _, body = data.partition(b"\n\n")
    fields = re.split(rb"\n(?![ \t])", head)
    content = [field for field in fields if field.lower().startswith(b"content-")]
    envelope_fields = [field for field in fields
                       if field not in content and not field.lower().startswith(b"mime-version")]
    return envelope_fields, content, body


def footer_wrapped(message: bytes, footer: str, header: str | None = None,
                   boundary: str = "===============wrap1234==") -> bytes:
    """``message`` as a list or gateway passes it on with a footer (and ``header``) added:
    ``multipart/mixed`` around the original entity and short text parts (LF)."""
    envelope_fields, content, body = _head_and_body(message)

    def text_part(text: str) -> bytes:
        return (b'Content-Type: text/plain; charset="utf-8"\n'
                b"MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n\n"
                + text.encode("utf-8"))

    parts = [*([text_part(header)] if header is not None else []),
             b"\n".join(content) + b"\n\n" + body.rstrip(b"\n"),
             text_part(footer)]
    delimiter = f"\n--{boundary}\n".encode()
    return (b"\n".join(envelope_fields)
            + f'\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"\n\n'
              .encode()
            + delimiter.lstrip(b"\n") + delimiter.join(parts)
            + f"\n--{boundary}--\n".encode())


def exchange_mixed_up(message: bytes, boundary: str = "_000_MIXEDUP_") -> bytes:
    """A ``multipart/encrypted`` ``message`` as some Exchange servers pass it on:
    ``multipart/mixed`` of an empty ``text/plain``, then the version part and the
    ciphertext, both base64 (LF)."""
    envelope_fields, _, _ = _head_and_body(message)
    parts = message_from_bytes(as_delivered(message)).get_payload()
    assert isinstance(parts, list) and len(parts) == 2, "not a multipart/encrypted message"
    version, payload = parts
    assert isinstance(version, Message) and isinstance(payload, Message)
    version_line, ciphertext = (version.get_payload(decode=True),
                                payload.get_payload(decode=True))
    assert isinstance(version_line, bytes) and isinstance(ciphertext, bytes)
    return (b"\n".join(envelope_fields) + (
        f'\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"\n\n'
        f"--{boundary}\n"
        'Content-Type: text/plain; charset="us-ascii"\n'
        "Content-Transfer-Encoding: quoted-printable\n\n\n"
        f"--{boundary}\n"
        'Content-Type: application/pgp-encrypted; name="PGPMIME version identification"\n'
        'Content-Description: PGP/MIME version identification\n'
        'Content-Disposition: attachment; filename="PGPMIME version identification"\n'
        "Content-Transfer-Encoding: base64\n\n"
    ).encode() + base64.encodebytes(version_line) + (
        f"\n--{boundary}\n"
        'Content-Type: application/octet-stream; name="encrypted.asc"\n'
        'Content-Description: OpenPGP encrypted message.asc\n'
        'Content-Disposition: attachment; filename="encrypted.asc"\n'
        "Content-Transfer-Encoding: base64\n\n"
    ).encode() + base64.encodebytes(ciphertext) + f"\n--{boundary}--\n".encode())
