"""Mail as subscribers' clients build it in tests: posts laid out like Thunderbird and gpg
users make them, and RFC 3156 taken apart by hand. Independent of the plugin's own MIME code.
"""

from __future__ import annotations

import re
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText

BOUNDARY = "------------enc0a1b2c3d4e5f6"


def text_body(text: str) -> bytes:
    """A text/plain UTF-8 quoted-printable entity with CRLF line ends, as Thunderbird makes."""
    charset = Charset("utf-8")
    charset.body_encoding = QP
    entity = MIMEText(text, "plain", charset)
    return entity.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def headers_text(headers: dict[str, str]) -> str:
    """Header lines, non-ASCII values RFC 2047 encoded as a mail client does."""
    return "".join(
        f"{name}: {value if value.isascii() else Header(value, 'utf-8').encode()}\n"
        for name, value in headers.items()
    )


def pgp_mime_message(armor: bytes, headers: dict[str, str]) -> bytes:
    """A ``multipart/encrypted`` message around ``armor``, laid out as Thunderbird does."""
    return (
        headers_text(headers)
        + "MIME-Version: 1.0\n"
        + 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n'
        + f' boundary="{BOUNDARY}"\n\n'
        + "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
        + f"--{BOUNDARY}\n"
        + "Content-Type: application/pgp-encrypted\n"
        + "Content-Description: PGP/MIME version identification\n\n"
        + "Version: 1\n\n"
        + f"--{BOUNDARY}\n"
        + 'Content-Type: application/octet-stream; name="encrypted.asc"\n'
        + "Content-Description: OpenPGP encrypted message\n"
        + 'Content-Disposition: inline; filename="encrypted.asc"\n\n'
        + armor.decode("ascii")
        + f"\n--{BOUNDARY}--\n"
    ).encode("ascii")


def pgp_mime_signed_entity(content: bytes, signature: bytes) -> bytes:
    """A ``multipart/signed`` entity over ``content`` (CRLF, canonical) with ``signature``."""
    boundary = "------------sig9f8e7d6c5b4a"
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
    """A plain-text message whose body is an armored block, as inline-PGP users send."""
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
    boundary = re.search(rb'boundary="?([^";\r\n]+)"?', unfolded, re.I).group(1)
    delimiter = b"\r\n--" + boundary
    first = entity.index(b"--" + boundary + b"\r\n") + len(boundary) + 4
    second = entity.index(delimiter, first)
    signed = entity[first:second]
    rest = entity[second + len(delimiter):]
    signature_part = rest[2:rest.index(delimiter)]
    signature = signature_part[signature_part.index(b"\r\n\r\n") + 4:]
    return signed, signature
