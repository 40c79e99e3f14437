# Test that the per-recipient copies rendered from one frame are well-formed PGP/MIME
# messages, as SMTP transmits them, that a real GnuPG recipient decrypts.

import io
from email import message_from_bytes
from email.generator import BytesGenerator
from email.policy import compat32

import pytest

from mailman_pgp.mime import MessageKind, build_encrypted, classify, encrypted_payload
from mailman_pgp.mime.copies import EncryptedCopies
from mailman_pgp.mime.tests.conftest import ALICE_UID

HEADERS = [
    ("From", "Anne Person <anne@example.com>"),
    ("To", "crypto@example.com"),
    ("Bcc", "hidden@example.com"),
    ("Subject", "=?utf-8?q?Gr=C3=BC=C3=9Fe?="),
    ("Message-ID", "<copies@example.com>"),
    ("List-Id", "<crypto.example.com>"),
]


@pytest.fixture(scope="module")
def ciphertext(alice) -> bytes:
    return alice.encrypt("Grüße, Welt\n".encode(), ALICE_UID)


def test_copy_is_pgp_mime_with_the_envelope_headers(ciphertext):
    wire = EncryptedCopies(HEADERS).render(ciphertext)
    copy = message_from_bytes(wire, policy=compat32)
    assert classify(copy) is MessageKind.PGP_MIME_ENCRYPTED
    for name, value in HEADERS:
        if name != "Bcc":
            assert copy[name] == value
    assert copy["Bcc"] is None
    assert copy["MIME-Version"] == "1.0"
    assert encrypted_payload(copy).replace(b"\r\n", b"\n") == ciphertext.replace(b"\r\n", b"\n")


def test_copy_has_crlf_line_endings_only(ciphertext):
    wire = EncryptedCopies(HEADERS).render(ciphertext.replace(b"\r\n", b"\n"))
    assert wire.count(b"\n") == wire.count(b"\r\n")
    assert all(len(line) <= 998 for line in wire.split(b"\r\n"))


def test_copies_differ_only_in_their_ciphertext(alice, ciphertext):
    copies = EncryptedCopies(HEADERS)
    other = alice.encrypt(b"another text\n", ALICE_UID)
    first, second = copies.render(ciphertext), copies.render(other)
    assert first != second
    common = first.split(ciphertext.replace(b"\n", b"\r\n").replace(b"\r\r", b"\r"))
    assert len(common) == 2
    assert second.startswith(common[0]) and second.endswith(common[1])


def test_copy_is_what_smtplib_sends_for_the_message_built_the_usual_way(ciphertext):
    wire = EncryptedCopies(HEADERS).render(ciphertext)
    usual = build_encrypted(ciphertext)
    mime_headers = list(usual.items())
    for name in list(usual.keys()):
        del usual[name]
    for name, value in HEADERS + mime_headers:
        usual[name] = value
    usual.set_boundary(message_from_bytes(wire, policy=compat32).get_boundary())
    # What smtplib.SMTP.send_message transmits: Bcc removed, generated with CRLF.
    del usual["Bcc"]
    buffer = io.BytesIO()
    BytesGenerator(buffer).flatten(usual, linesep="\r\n")
    assert wire == buffer.getvalue()


def test_gnupg_decrypts_a_copy(alice, ciphertext):
    wire = EncryptedCopies(HEADERS).render(ciphertext)
    copy = message_from_bytes(wire, policy=compat32)
    assert alice.decrypt(encrypted_payload(copy)).output == "Grüße, Welt\n".encode()
