"""Messages built the way Thunderbird and Mutt build them, by hand, signed with real GnuPG.

These builders do not use ``mailman_pgp.mime``: they write the wire text as the clients
do, so that the tests check our reading against what clients send. Each returns the
message as it travels over SMTP (CRLF); ``as_delivered`` gives the LF form a local
mailbox or an LMTP server may hand on.
"""

import base64
import quopri
import re
from email.header import Header

from mailman_pgp.testing.gnupg import GnuPGClient

CRLF = b"\r\n"
ALICE = "Alice <alice@example.com>"
LIST = "test@example.com"


def crlf(text: str | bytes, charset: str = "utf-8") -> bytes:
    data = text.encode(charset) if isinstance(text, str) else text
    return CRLF.join(re.split(rb"\r\n|\n", data))


def as_delivered(wire: bytes) -> bytes:
    return wire.replace(CRLF, b"\n")


def quoted_printable(text: str, charset: str = "utf-8") -> bytes:
    # Clients protect lines starting with "From " in signed parts (RFC 3156 section 3).
    encoded = quopri.encodestring(crlf(text, charset))
    return re.sub(rb"(?m)^From ", b"=46rom ", encoded)


def encoded_word(text: str) -> str:
    return Header(text, "utf-8").encode() if not text.isascii() else text


def _envelope(subject: str, message_id: str, extra: str = "") -> str:
    return (
        f"Message-ID: <{message_id}@example.com>\n"
        "Date: Tue, 24 Nov 2026 01:00:00 +0000\n"
        "MIME-Version: 1.0\n"
        f"{extra}"
        f"To: {LIST}\n"
        f"From: {ALICE}\n"
        f"Subject: {encoded_word(subject)}\n"
    )


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
    signature = gpg.sign_detached(inner)
    boundary = f"------------{message_id}outer"
    head = _envelope(
        subject, message_id, "User-Agent: Mozilla Thunderbird\nContent-Language: en-US\n"
    ) + (
        "Content-Type: multipart/signed; micalg=pgp-sha256;\n"
        ' protocol="application/pgp-signature";\n'
        f' boundary="{boundary}"\n\n'
        "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n"
        f"--{boundary}\n"
    )
    tail = (
        f"\n--{boundary}\n"
        'Content-Type: application/pgp-signature; name="OpenPGP_signature.asc"\n'
        "Content-Description: OpenPGP digital signature\n"
        'Content-Disposition: attachment; filename="OpenPGP_signature.asc"\n\n'
    ).encode() + signature + f"\n--{boundary}--\n".encode()
    return crlf(head) + inner + crlf(tail)


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
    head = _envelope(subject, message_id) + (
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
    boundary = f"------------{message_id}"
    text = _envelope("...", message_id).encode() + (
        "Content-Type: multipart/encrypted;\n"
        ' protocol="application/pgp-encrypted";\n'
        f' boundary="{boundary}"\n\n'
        "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
        f"--{boundary}\n"
        "Content-Type: application/pgp-encrypted\n"
        "Content-Description: PGP/MIME version identification\n\n"
        "Version: 1\n\n"
        f"--{boundary}\n"
        'Content-Type: application/octet-stream; name="encrypted.asc"\n'
        "Content-Description: OpenPGP encrypted message\n"
        'Content-Disposition: inline; filename="encrypted.asc"\n\n'
    ).encode() + ciphertext + f"\n--{boundary}--\n".encode()
    return crlf(text)


def inline_clearsigned(
    gpg: GnuPGClient, subject: str, body: str, charset: str = "utf-8", cte: str = "8bit"
) -> bytes:
    """A text/plain message whose body is a cleartext-signed text, as Enigmail sends it."""
    signed = gpg.clearsign(crlf(body, charset))
    encoded = quopri.encodestring(signed) if cte == "quoted-printable" else signed
    head = _envelope(subject, "inlinesigned") + (
        f"Content-Type: text/plain; charset={charset}\n"
        f"Content-Transfer-Encoding: {cte}\n\n"
    )
    return crlf(head) + crlf(encoded)


def inline_encrypted(gpg: GnuPGClient, recipient: str, body: bytes) -> bytes:
    """A text/plain message whose body is an armored PGP message."""
    head = _envelope("...", "inlineencrypted") + (
        "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n"
    )
    return crlf(head) + crlf(gpg.encrypt(body, recipient))


def key_attached(key: bytes, cte: str = "quoted-printable") -> bytes:
    """A Thunderbird message with a public key attached as application/pgp-keys."""
    encoded = quopri.encodestring(key) if cte == "quoted-printable" else base64.encodebytes(key)
    text = _envelope("my key", "keyattached").encode() + (
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
    head = _envelope("key", "keypasted") + (
        "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n"
    )
    return crlf(head) + crlf(body)
