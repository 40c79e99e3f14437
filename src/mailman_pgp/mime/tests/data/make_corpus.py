"""Regenerate the corpus of messages and keys under this directory with real GnuPG.

Run from the repository root: ``.venv/bin/python src/mailman_pgp/mime/tests/data/make_corpus.py``
(add ``--new-key`` to make a new Alice key too). Signed and encrypted artefacts are
made with ``keys/alice_secret_TEST_ONLY.asc``, a key with no passphrase that exists only
for these tests; ``keys/alice_public.asc`` is what verifies them. The plain messages
are fixed texts, written here so that their line endings and 8-bit bytes stay exact.
"""

import base64
import sys
from pathlib import Path

from mailman_pgp.testing import client_mail
from mailman_pgp.testing.gnupg import GnuPGClient

HERE = Path(__file__).resolve().parent
MESSAGES = HERE / "messages"
KEYS = HERE / "keys"
SECRET = KEYS / "alice_secret_TEST_ONLY.asc"
PUBLIC = KEYS / "alice_public.asc"
# Bytes of every value, so that attachments really are binary.
BINARY = bytes(range(256)) * 3
BODY = (
    "Grüße aus Zürich! ½ € ✓\n"
    "From here on, a line starts with From.\n"
    "Trailing spaces here:   \n"
    "-- \n"
    "Alice\n"
)


def plain_messages() -> dict[str, bytes]:
    """Non-PGP messages whose bytes must survive parse_entity -> entity_bytes."""
    png = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + BINARY).decode()
    return {
        "plain_utf8_8bit.eml": (
            "From: Jürgen Müller <juergen@example.com>\n"
            "To: test@example.com\n"
            "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: 8bit\n\n" + BODY
        ).encode("utf-8"),
        "plain_latin1_8bit_headers.eml": (
            "From: Fran\xe7ois <francois@example.com>\n"
            "To: test@example.com\n"
            "Subject: Caf\xe9 cr\xe8me, s'il vous pla\xeet\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=ISO-8859-1\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "D\xe9j\xe0 vu, \xe0 bient\xf4t.\n"
        ).encode("latin-1"),
        "plain_rfc2047_subject_folded.eml": (
            "From: =?ISO-8859-1?Q?Fran=E7ois?= <francois@example.com>\n"
            "To: test@example.com\n"
            "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgWsO8cmljaCwgZWluIHNlaHIgbGFuZ2VyIEJldHJl?= \n"
            "\t=?UTF-8?B?ZmYsIGRlciBnZWZhbHRldCB3aXJk?=\n"
            "X-Long-Header: a header line that is much longer than seventy-eight characters and "
            "was never folded by its sender\n"
            "Content-Type: text/plain; charset=us-ascii\n\n"
            "Short.\n"
        ).encode("ascii"),
        "plain_from_lines_trailing_whitespace.eml": (
            "From: alice@example.com\n"
            "Subject: whitespace\n"
            "Content-Type: text/plain\n\n"
            "From the start.\n"
            "Tab at the end\t\n"
            "Spaces at the end   \n"
            ">From already quoted\n"
            "\n"
            "no newline at the end"
        ).encode("ascii"),
        "mixed_binary_attachment_base64.eml": (
            "From: alice@example.com\n"
            "Subject: picture\n"
            "MIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b1"\n\n'
            "This is a multi-part message in MIME format.\n"
            "--b1\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: quoted-printable\n\n"
            "See the picture, Gr=C3=BC=C3=9Fe.\n\n"
            "--b1\n"
            'Content-Type: image/png; name="p.png"\n'
            "Content-Transfer-Encoding: base64\n"
            'Content-Disposition: attachment; filename="p.png"\n\n' + png + "\n"
            "--b1--\n"
        ).encode("utf-8"),
        "mixed_binary_cte_binary.eml": (
            b"From: alice@example.com\n"
            b"Subject: raw octets\n"
            b"MIME-Version: 1.0\n"
            b'Content-Type: multipart/mixed; boundary="raw"\n\n'
            b"--raw\n"
            b"Content-Type: text/plain\n\n"
            b"Raw octets follow.\n"
            b"--raw\n"
            b"Content-Type: application/octet-stream\n"
            b"Content-Transfer-Encoding: binary\n\n"
            b"\x00\x01\rlone CR\rthen\xff\xfe LF\n and CRLF\r\nend\x00" + b"\n--raw--\n"
        ),
        "alternative_text_html.eml": (
            "From: alice@example.com\n"
            "Subject: =?UTF-8?Q?H=C3=A9llo?=\n"
            "MIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="outer"\n\n'
            "--outer\n"
            'Content-Type: multipart/alternative; boundary="alt"\n\n'
            "--alt\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "Héllo wörld\n\n"
            "--alt\n"
            "Content-Type: text/html; charset=UTF-8\n"
            "Content-Transfer-Encoding: quoted-printable\n\n"
            "<html><body><p>H=C3=A9llo w=C3=B6rld</p></body></html>\n\n"
            "--alt--\n\n"
            "--outer\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Disposition: attachment; filename=notes.txt\n\n"
            "notes\n"
            "--outer--\n"
            "epilogue text\n"
        ).encode(),
        "mixed_nested_no_blank_line.eml": (
            "From: alice@example.com\n"
            "Subject: nested\n"
            'Content-Type: multipart/mixed; boundary="outer"\n\n'
            "--outer\n"
            'Content-Type: multipart/alternative; boundary="inner"\n\n'
            "--inner\n"
            "Content-Type: text/plain\n\n"
            "one\n"
            "--inner--\n"
            "--outer--\n"
        ).encode("ascii"),
        "mixed_forwarded_rfc822.eml": (
            "From: alice@example.com\n"
            "Subject: Fwd: hello\n"
            "MIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="fwd"\n\n'
            "--fwd\n"
            "Content-Type: text/plain\n\n"
            "Forwarded below.\n"
            "--fwd\n"
            "Content-Type: message/rfc822\n\n"
            "From: bob@example.com\n"
            "Subject: =?UTF-8?Q?D=C3=A9j=C3=A0?=\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "Déjà vu.\n"
            "--fwd--\n"
        ).encode(),
    }


def pgp_messages(gpg: GnuPGClient) -> dict[str, bytes]:
    """PGP artefacts as the clients make them, and broken variants of them."""
    recipient = gpg.fingerprint()
    signed_tb = client_mail.thunderbird_signed(
        gpg, "Grüße", BODY, attachment=("data.bin", BINARY)
    )
    encrypted = client_mail.thunderbird_encrypted(
        gpg, recipient, client_mail.thunderbird_inner("Grüße", BODY, "tbencrypted")
    )
    inline_encrypted = client_mail.inline_encrypted(gpg, recipient, b"Inline secret.\n")
    public = gpg.export().encode()
    encrypted_head, _, encrypted_rest = encrypted.partition(b"--------------tbencrypted\r\n")
    octet_stream = encrypted_rest.index(
        b"--------------tbencrypted\r\nContent-Type: application/octet-stream"
    )
    armor_line = encrypted.index(b"\r\n\r\n", encrypted.index(b"BEGIN PGP MESSAGE")) + 4
    return {
        "mime_signed_thunderbird_style.eml": signed_tb,
        "mime_signed_mutt_style.eml": client_mail.as_delivered(
            client_mail.mutt_signed(gpg, "mutt", BODY)
        ),
        "mime_signed_bad_signature.eml": signed_tb.replace(b"Z=C3=BCrich", b"Z=C3=BCRICH"),
        "mime_signed_one_part.eml": _drop_signature_part(signed_tb),
        "mime_signed_missing_boundary.eml": signed_tb.replace(
            b';\r\n boundary="------------tbsignedouter"', b""
        ),
        "mime_signed_wrong_protocol.eml": signed_tb.replace(
            b"application/pgp-signature\";", b"application/pkcs7-signature\";", 1
        ),
        "mime_signed_no_micalg.eml": signed_tb.replace(b" micalg=pgp-sha256;", b"", 1),
        "mime_encrypted_thunderbird_style.eml": encrypted,
        "mime_encrypted_missing_payload.eml": (
            encrypted_head + b"--------------tbencrypted\r\n"
            + encrypted_rest[:octet_stream] + b"--------------tbencrypted--\r\n"
        ),
        "mime_encrypted_wrong_protocol.eml": encrypted.replace(
            b'protocol="application/pgp-encrypted"', b'protocol="application/pgp-signature"'
        ),
        "mime_encrypted_broken_armor.eml": (
            encrypted[:armor_line] + b"!!not*radix64!!" + encrypted[armor_line + 15 :]
        ),
        "mime_encrypted_truncated_armor.eml": encrypted.replace(
            b"-----END PGP MESSAGE-----", b""
        ),
        "inline_clearsigned_utf8.eml": client_mail.inline_clearsigned(gpg, "inline", BODY),
        "inline_clearsigned_latin1_qp.eml": client_mail.inline_clearsigned(
            gpg, "inline", "Déjà vu, à bientôt.\n", charset="iso-8859-1", cte="quoted-printable"
        ),
        "inline_encrypted.eml": inline_encrypted,
        "inline_broken_armor.eml": inline_encrypted.replace(b"-----END PGP MESSAGE-----", b""),
        "key_attached_thunderbird_style.eml": client_mail.key_attached(public),
        "key_pasted_with_revocation.eml": client_mail.key_pasted(
            public, gpg.revocation_certificate(gpg.fingerprint()).encode()
        ),
    }


def _drop_signature_part(signed: bytes) -> bytes:
    boundary = b"--------------tbsignedouter"
    start = signed.rindex(b"\r\n" + boundary + b"\r\nContent-Type: application/pgp-signature")
    return signed[:start] + b"\r\n" + boundary + b"--\r\n"


def main(new_key: bool) -> None:
    MESSAGES.mkdir(parents=True, exist_ok=True)
    KEYS.mkdir(parents=True, exist_ok=True)
    gpg = GnuPGClient()
    try:
        if new_key or not SECRET.exists():
            gpg.generate(client_mail.ALICE)
            SECRET.write_bytes(gpg.export_secret().encode())
            PUBLIC.write_bytes(gpg.export().encode())
            (KEYS / "alice_revocation.rev").write_bytes(
                gpg.revocation_certificate(gpg.fingerprint()).encode()
            )
        else:
            gpg.import_key(SECRET.read_bytes())
            revocs = gpg.home / "openpgp-revocs.d"
            revocs.mkdir(exist_ok=True)
            (revocs / f"{gpg.fingerprint()}.rev").write_bytes(
                (KEYS / "alice_revocation.rev").read_bytes()
            )
        for name, data in {**plain_messages(), **pgp_messages(gpg)}.items():
            (MESSAGES / name).write_bytes(data)
    finally:
        gpg.close()


if __name__ == "__main__":
    main("--new-key" in sys.argv[1:])
