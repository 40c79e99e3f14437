# Test that an encrypted post opens in memory into its content and the check of its signature,
# whatever way a client signed and encrypted it, that what is not encrypted is refused, and that
# delivery opens only the ciphertext that was checked.

import pytest
from mailman.email.message import Message

from mailman_pgp.mime import MIMELimits, TooManyParts, UnreadableEntity, parse_entity
from mailman_pgp.openpgp import SOP, DecryptionError, SignatureStatus, generate_key, messages
from mailman_pgp.openpgp import gnupg as gnupg_module
from mailman_pgp.openpgp import sop as sop_module
from mailman_pgp.openpgp.keys import load_certificate
from mailman_pgp.posting.encrypted_post import (
    NotEncrypted,
    NotTheCheckedPost,
    TooManyLayers,
    encrypted_part,
    open_post,
    post_content,
    text_entity,
)
from mailman_pgp.testing.calls import record_calls
from mailman_pgp.testing.client_mail import (
    inline_message,
    pgp_mime_message,
    pgp_mime_signed_entity,
    text_body,
)
from mailman_pgp.testing.gnupg import GnuPGClient

HEADERS = {"From": "anne@example.com", "To": "crypto@example.com", "Subject": "Hi"}
TEXT = "Grüße — first line\nFrom here on, a line that mbox would mangle.\n"
LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def list_key():
    return generate_key("Crypto <crypto@example.com>")


@pytest.fixture(scope="module")
def anne(list_key):
    client = GnuPGClient()
    client.generate("Anne <anne@example.com>")
    client.import_key(list_key.certificate.armor)
    yield client
    client.close()


@pytest.fixture(scope="module")
def anne_cert(anne):
    return load_certificate(anne.export("anne@example.com"))


def parsed(raw: bytes) -> Message:
    return parse_entity(raw, _class=Message)


def content_of(msg: Message, list_key) -> Message:
    """What delivery opens of a post the chain checked as it is."""
    return post_content(msg, list_key, digest=encrypted_part(msg).digest, sop=SOP(),
                        max_plaintext=LIMIT)


def text_of(entity) -> str:
    return entity.get_payload(decode=True).decode(entity.get_content_charset()).replace(
        "\r\n", "\n")


def test_pgp_mime_signed_and_encrypted_in_one_go(list_key, anne, anne_cert):
    armor = anne.encrypt(text_body(TEXT), list_key.fingerprint, "anne@example.com")
    msg = parsed(pgp_mime_message(armor, HEADERS))
    before = msg.as_bytes()
    opened = open_post(msg, list_key, verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)
    assert opened.verification.status is SignatureStatus.GOOD
    assert opened.verification.signer_fingerprint == anne_cert.fingerprint
    assert opened.content.get_content_type() == "text/plain"
    assert text_of(opened.content) == TEXT
    assert msg.as_bytes() == before


def test_pgp_mime_signed_first_then_encrypted(list_key, anne, anne_cert):
    content = text_body(TEXT)
    entity = pgp_mime_signed_entity(content, anne.sign_detached(content, "anne@example.com"))
    armor = anne.encrypt(entity, list_key.fingerprint, None)
    opened = open_post(parsed(pgp_mime_message(armor, HEADERS)), list_key,
                       verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)
    assert opened.verification.status is SignatureStatus.GOOD
    assert opened.verification.signer_fingerprint == anne_cert.fingerprint
    assert opened.content.get_content_type() == "text/plain"
    assert text_of(opened.content) == TEXT


def test_post_content_takes_the_signed_wrapper_off_without_judging_it_again(
        list_key, anne, monkeypatch):
    content = text_body(TEXT)
    entity = pgp_mime_signed_entity(content, anne.sign_detached(content, "anne@example.com"))
    armor = anne.encrypt(entity, list_key.fingerprint, "anne@example.com")
    judged = []
    monkeypatch.setattr(messages, "_gnupg", lambda sop: judged.append(sop))
    opened = content_of(parsed(pgp_mime_message(armor, HEADERS)), list_key)
    assert judged == []
    assert opened.get_content_type() == "text/plain"
    assert text_of(opened) == TEXT


def test_post_content_of_inline_clearsigned_text_is_the_text_in_one_process(
        list_key, anne, monkeypatch):
    clearsigned = anne.clearsign(TEXT.encode(), "anne@example.com")
    armor = anne.encrypt(clearsigned, list_key.fingerprint, None)
    msg = parsed(inline_message(armor, HEADERS))
    sop_runs = record_calls(monkeypatch, sop_module, "run")
    gpg_runs = record_calls(monkeypatch, gnupg_module, "run")
    opened = content_of(msg, list_key)
    assert [run[0][:2] for run in sop_runs] == [["sqop", "decrypt"]]
    assert gpg_runs == []
    assert text_of(opened).rstrip("\n") == TEXT.rstrip("\n")
    assert b"BEGIN PGP" not in opened.as_bytes()


def test_inline_pgp(list_key, anne, anne_cert):
    armor = anne.encrypt(TEXT.encode(), list_key.fingerprint, "anne@example.com")
    opened = open_post(parsed(inline_message(armor, HEADERS)), list_key,
                       verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)
    assert opened.verification.status is SignatureStatus.GOOD
    assert opened.content.get_content_charset() == "utf-8"
    assert text_of(opened.content) == TEXT


def test_inline_pgp_clearsigned_inside_the_encryption(list_key, anne, anne_cert):
    clearsigned = anne.clearsign(TEXT.encode(), "anne@example.com")
    armor = anne.encrypt(clearsigned, list_key.fingerprint, None)
    opened = open_post(parsed(inline_message(armor, HEADERS)), list_key,
                       verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)
    assert opened.verification.status is SignatureStatus.GOOD
    assert text_of(opened.content).rstrip("\n") == TEXT.rstrip("\n")
    assert b"BEGIN PGP" not in opened.content.as_bytes()


def test_an_unsigned_post_opens_with_no_signature(list_key, anne, anne_cert):
    armor = anne.encrypt(text_body(TEXT), list_key.fingerprint, None)
    opened = open_post(parsed(pgp_mime_message(armor, HEADERS)), list_key,
                       verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)
    assert opened.verification.status is SignatureStatus.NO_SIGNATURE
    assert text_of(opened.content) == TEXT


def test_a_post_for_another_key_does_not_open(list_key, anne):
    armor = anne.encrypt(text_body(TEXT), "anne@example.com", "anne@example.com")
    with pytest.raises(DecryptionError):
        open_post(parsed(pgp_mime_message(armor, HEADERS)), list_key, verify_with=[],
                  sop=SOP(), max_plaintext=LIMIT)


def test_plain_and_signed_only_posts_are_not_encrypted(list_key, anne):
    plain = parsed(b"From: anne@example.com\nSubject: Hi\n\nhello\n")
    signed = parsed(inline_message(anne.clearsign(b"hello\n", "anne@example.com"), HEADERS))
    for msg in (plain, signed):
        with pytest.raises(NotEncrypted):
            encrypted_part(msg)
    with pytest.raises(NotEncrypted, match="not encrypted"):
        open_post(plain, list_key, verify_with=[], sop=SOP(), max_plaintext=LIMIT)
    with pytest.raises(NotEncrypted, match="signed but not encrypted"):
        open_post(signed, list_key, verify_with=[], sop=SOP(), max_plaintext=LIMIT)


def test_text_entity_keeps_every_byte():
    text = "From the start\ntrailing space \n\tand tab\nÄ end".encode()
    entity = text_entity(text, "utf-8")
    assert entity.get_payload(decode=True) == text
    assert entity.as_bytes().isascii()


def test_the_digest_names_the_ciphertext_opened(list_key, anne, anne_cert):
    first = parsed(pgp_mime_message(
        anne.encrypt(text_body(TEXT), list_key.fingerprint, "anne@example.com"), HEADERS))
    again = parsed(pgp_mime_message(
        anne.encrypt(text_body(TEXT), list_key.fingerprint, "anne@example.com"), HEADERS))
    opened = open_post(first, list_key, verify_with=[anne_cert], sop=SOP(),
                       max_plaintext=LIMIT)
    assert opened.digest == encrypted_part(first).digest
    # The same text encrypted again is another ciphertext, hence another post.
    assert encrypted_part(again).digest != opened.digest


def test_delivery_does_not_open_a_ciphertext_other_than_the_one_checked(
        list_key, anne, anne_cert, monkeypatch):
    checked = parsed(pgp_mime_message(
        anne.encrypt(text_body(TEXT), list_key.fingerprint, "anne@example.com"), HEADERS))
    swapped = parsed(pgp_mime_message(
        anne.encrypt(text_body("forged\n"), list_key.fingerprint, None), HEADERS))
    decrypted = []
    monkeypatch.setattr("mailman_pgp.posting.encrypted_post.decrypt_content",
                        lambda *a, **k: decrypted.append(a))
    with pytest.raises(NotTheCheckedPost, match="not the one the list checked"):
        post_content(swapped, list_key, digest=encrypted_part(checked).digest, sop=SOP(),
                     max_plaintext=LIMIT)
    assert decrypted == []


def test_content_signed_twice_inside_the_encryption_is_refused(list_key, anne, anne_cert):
    content = text_body(TEXT)
    once = pgp_mime_signed_entity(content, anne.sign_detached(content, "anne@example.com"))
    twice = pgp_mime_signed_entity(once, anne.sign_detached(once, "anne@example.com"),
                                   boundary="outer-signature")
    armor = anne.encrypt(twice, list_key.fingerprint, None)
    with pytest.raises(TooManyLayers, match="encrypted or signed again inside"):
        open_post(parsed(pgp_mime_message(armor, HEADERS)), list_key,
                  verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)


def test_content_encrypted_again_inside_the_encryption_is_refused(list_key, anne, anne_cert):
    inner = pgp_mime_message(anne.encrypt(text_body(TEXT), list_key.fingerprint,
                                          "anne@example.com"), {})
    armor = anne.encrypt(inner, list_key.fingerprint, "anne@example.com")
    with pytest.raises(TooManyLayers):
        open_post(parsed(pgp_mime_message(armor, HEADERS)), list_key,
                  verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)


def test_inline_text_that_is_a_pgp_message_again_is_refused(list_key, anne, anne_cert):
    inner = anne.encrypt(TEXT.encode(), list_key.fingerprint, None)
    armor = anne.encrypt(inner, list_key.fingerprint, "anne@example.com")
    with pytest.raises(TooManyLayers):
        open_post(parsed(inline_message(armor, HEADERS)), list_key,
                  verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)


def test_quoted_pgp_text_inside_a_post_is_content_not_a_layer(list_key, anne, anne_cert):
    quoted = "Look at what I got:\n\n" + anne.encrypt(b"x", list_key.fingerprint, None).decode()
    armor = anne.encrypt(text_body(quoted), list_key.fingerprint, "anne@example.com")
    opened = open_post(parsed(pgp_mime_message(armor, HEADERS)), list_key,
                       verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)
    assert opened.verification.status is SignatureStatus.GOOD
    assert "BEGIN PGP MESSAGE" in text_of(opened.content)


def test_decrypted_content_is_held_to_the_mime_limits(list_key, anne, anne_cert):
    parts = b"".join(b"--m\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(5))
    entity = b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n' + parts + b"--m--\r\n"
    armor = anne.encrypt(entity, list_key.fingerprint, "anne@example.com")
    msg = parsed(pgp_mime_message(armor, HEADERS))
    with pytest.raises(TooManyParts, match="holds 6 MIME parts, more than the 5"):
        open_post(msg, list_key, verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT,
                  mime_limits=MIMELimits(parts=5))
    assert open_post(msg, list_key, verify_with=[anne_cert], sop=SOP(),
                     max_plaintext=LIMIT).content.is_multipart()


def test_decrypted_content_the_email_package_cannot_parse_is_unreadable(list_key, anne,
                                                                        anne_cert):
    # Found by fuzzing: the parser raised ValueError for an RFC 2231 boundary whose
    # charset holds a NUL, which the pipeline would have taken for a crash.
    entity = (b"Content-Type: multipart/mixed; boundary*=utf\x00-8''m\r\n\r\n"
              b"--m\r\nContent-Type: text/plain\r\n\r\npart\r\n--m--\r\n")
    armor = anne.encrypt(entity, list_key.fingerprint, "anne@example.com")
    with pytest.raises(UnreadableEntity, match="cannot be parsed as MIME"):
        open_post(parsed(pgp_mime_message(armor, HEADERS)), list_key,
                  verify_with=[anne_cert], sop=SOP(), max_plaintext=LIMIT)
