# Test that the signature an author's GnuPG made together with the encryption is put beside the
# content it covers as a multipart/signed entity that verifies by the author's key over exactly
# its first part, and that it is refused, saying why, when members could not verify it (LF line
# ends signed in binary mode, another signer) or there is none.

from email import message_from_bytes

import pytest

from mailman_pgp.mime import split_signed
from mailman_pgp.openpgp import SOP, generate_key
from mailman_pgp.openpgp.keys import load_certificate
from mailman_pgp.posting.author_signature import AuthorSignatureNotKept, one_pass_signed
from mailman_pgp.posting.encrypted_post import (
    SignedPostContent,
    encrypted_part,
    signed_post_content,
)
from mailman_pgp.testing.client_mail import pgp_mime_message, text_body
from mailman_pgp.testing.gnupg import GnuPGClient

HEADERS = {"From": "anne@example.com", "To": "crypto@example.com", "Subject": "Hi"}
LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def list_key():
    return generate_key("Crypto <crypto@example.com>")


@pytest.fixture(scope="module")
def gpg(list_key):
    """Anne's GnuPG, which also holds Ben's key."""
    client = GnuPGClient()
    client.generate("Anne <anne@example.com>")
    client.generate("Ben <ben@example.com>")
    client.import_key(list_key.certificate.armor)
    yield client
    client.close()


@pytest.fixture(scope="module")
def anne_cert(gpg):
    return load_certificate(gpg.export("anne@example.com"))


def content(gpg: GnuPGClient, list_key, entity: bytes, *options: str,
            signer: str | None = "anne@example.com") -> SignedPostContent:
    """What delivery opens of a PGP/MIME post of ``entity`` made by gpg with ``options``."""
    signing = ["--sign", "--local-user", signer] if signer else []
    armor = gpg.run("--armor", "--encrypt", "--recipient", list_key.fingerprint, *signing,
                    *options, input=entity).output
    post = message_from_bytes(pgp_mime_message(armor, HEADERS))
    return signed_post_content(post, list_key, digest=encrypted_part(post).digest, sop=SOP(),
                               max_plaintext=LIMIT)


def test_a_one_pass_signature_comes_beside_the_entity_it_signed(gpg, list_key, anne_cert):
    entity = text_body("Signed and encrypted at once\n")
    signed = one_pass_signed(content(gpg, list_key, entity, "--digest-algo", "SHA384"),
                             list_key, anne_cert, sop=SOP())
    assert signed.get_content_type() == "multipart/signed"
    assert signed.get_param("micalg") == "pgp-sha384"
    parts = split_signed(signed)
    assert parts.signed_bytes == entity
    checked = gpg.verify_detached(parts.signature, parts.signed_bytes)
    assert checked.has("GOODSIG")
    assert checked.line("VALIDSIG")[-1] == anne_cert.fingerprint


def test_a_text_mode_signature_over_lf_is_kept_over_crlf(gpg, list_key, anne_cert):
    entity = text_body("Mutt signs in text mode\n")
    signed = one_pass_signed(content(gpg, list_key, entity.replace(b"\r\n", b"\n"),
                                     "--textmode"),
                             list_key, anne_cert, sop=SOP())
    assert split_signed(signed).signed_bytes == entity


def test_a_binary_signature_over_lf_is_not_kept(gpg, list_key, anne_cert):
    entity = text_body("Signed with LF line ends\n").replace(b"\r\n", b"\n")
    with pytest.raises(AuthorSignatureNotKept, match="line ends"):
        one_pass_signed(content(gpg, list_key, entity), list_key, anne_cert, sop=SOP())


def test_a_signature_by_another_key_is_not_kept(gpg, list_key, anne_cert):
    opened = content(gpg, list_key, text_body("Ben signed\n"), signer="ben@example.com")
    with pytest.raises(AuthorSignatureNotKept, match="unknown key"):
        one_pass_signed(opened, list_key, anne_cert, sop=SOP())


def test_an_unsigned_post_has_no_signature_to_keep(gpg, list_key, anne_cert):
    opened = content(gpg, list_key, text_body("Nobody signed\n"), signer=None)
    with pytest.raises(AuthorSignatureNotKept, match="no signature"):
        one_pass_signed(opened, list_key, anne_cert, sop=SOP())


def test_content_without_its_ciphertext_has_nothing_to_keep(gpg, list_key, anne_cert):
    opened = content(gpg, list_key, text_body("Inline\n"))
    with pytest.raises(AuthorSignatureNotKept, match="not encrypted as PGP/MIME"):
        one_pass_signed(SignedPostContent(opened.entity), list_key, anne_cert, sop=SOP())


def test_a_missing_sq_is_said_and_nothing_kept(gpg, list_key, anne_cert):
    opened = content(gpg, list_key, text_body("No sq here\n"))
    with pytest.raises(AuthorSignatureNotKept, match="no-such-sq"):
        one_pass_signed(opened, list_key, anne_cert, sop=SOP(sq="no-such-sq"))
