# Test that inline PGP (an armored message or a cleartext-signed text in a text/plain body)
# is found with its charset, that its bytes verify or decrypt with GnuPG, and that damaged
# armor or text outside the block is reported.

import pytest

from mailman_pgp.mime import InlinePGP, MalformedPGPMIME, MessageKind, find_inline, parse_entity
from mailman_pgp.mime.tests.conftest import message_bytes
from mailman_pgp.testing import client_mail


def test_cleartext_signed_utf8_body_verifies(verifier):
    found = find_inline(parse_entity(message_bytes("inline_clearsigned_utf8.eml")))
    assert found.kind is MessageKind.INLINE_SIGNED
    assert found.charset == "utf-8"
    assert not found.unprotected
    assert "Grüße".encode() in found.armor
    assert verifier.verify_cleartext(found.armor).verdict == "GOODSIG"


def test_cleartext_signed_latin1_quoted_printable_body_verifies(verifier):
    found = find_inline(parse_entity(message_bytes("inline_clearsigned_latin1_qp.eml")))
    assert found.charset == "iso-8859-1"
    assert "Déjà vu".encode("latin-1") in found.armor
    assert verifier.verify_cleartext(found.armor).verdict == "GOODSIG"


def test_cleartext_signed_text_changed_in_transit_fails_verification(verifier):
    data = message_bytes("inline_clearsigned_utf8.eml").replace(b"Alice\r\n", b"Mallory\r\n")
    found = find_inline(parse_entity(data))
    assert verifier.verify_cleartext(found.armor).verdict == "BADSIG"


def test_inline_encrypted_body_decrypts(corpus_gpg):
    found = find_inline(parse_entity(message_bytes("inline_encrypted.eml")))
    assert found == InlinePGP(MessageKind.INLINE_ENCRYPTED, found.armor, "us-ascii", False)
    assert corpus_gpg.decrypt(found.armor).output == b"Inline secret.\n"


def test_freshly_clearsigned_message_verifies_after_lf_delivery(alice):
    wire = client_mail.inline_clearsigned(alice, "x", "Hallo Welt, Grüße\nFrom Alice\n")
    found = find_inline(parse_entity(client_mail.as_delivered(wire)))
    assert alice.verify_cleartext(found.armor).verdict == "GOODSIG"


def test_text_around_the_block_is_marked_unprotected(alice):
    wire = client_mail.inline_clearsigned(alice, "x", "signed text\n")
    wire += b"\r\n-- \r\nA footer the list added\r\n"
    found = find_inline(parse_entity(wire))
    assert found.unprotected
    assert alice.verify_cleartext(found.armor).verdict == "GOODSIG"


def test_another_part_beside_the_block_is_marked_unprotected(alice):
    signed = alice.clearsign(b"signed text\n").decode()
    msg = parse_entity(
        (
            'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
            f"{signed}\n--b\nContent-Type: text/plain\n\nunsigned footer\n--b--\n"
        ).encode()
    )
    found = find_inline(msg)
    assert found.kind is MessageKind.INLINE_SIGNED
    assert found.unprotected


def test_damaged_inline_armor_raises():
    with pytest.raises(MalformedPGPMIME, match="has no END PGP MESSAGE line"):
        find_inline(parse_entity(message_bytes("inline_broken_armor.eml")))


def test_cleartext_signed_text_without_signature_raises():
    data = (
        b"Content-Type: text/plain\n\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
        b"text\n-----END PGP SIGNATURE-----\n"
    )
    with pytest.raises(MalformedPGPMIME, match="no BEGIN PGP SIGNATURE line"):
        find_inline(parse_entity(data))


@pytest.mark.parametrize(
    "name", ["plain_utf8_8bit.eml", "key_pasted_with_revocation.eml",
             "mime_signed_thunderbird_style.eml"]
)
def test_message_without_inline_pgp_raises(name):
    with pytest.raises(MalformedPGPMIME, match="no inline PGP"):
        find_inline(parse_entity(message_bytes(name)))
