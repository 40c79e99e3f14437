# Test that the fixed artefacts of the corpus, made once with GnuPG, verify and decrypt with
# the corpus key, that the plain messages match the script that wrote them, and that a
# decrypted post survives the list's path: parse, re-sign, re-encrypt, send, read, verify.

import pickle
from email.header import decode_header, make_header

import pytest

from mailman_pgp.mime import (
    build_encrypted,
    build_signed,
    canonical_bytes,
    encrypted_payload,
    entity_bytes,
    parse_entity,
    split_signed,
)
from mailman_pgp.mime.tests.conftest import MESSAGES, message_bytes
from mailman_pgp.mime.tests.data.make_corpus import plain_messages


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("mime_signed_thunderbird_style.eml", "GOODSIG"),
        ("mime_signed_mutt_style.eml", "GOODSIG"),
        ("mime_signed_bad_signature.eml", "BADSIG"),
    ],
)
def test_fixed_signed_artefact_verifies_as_expected(verifier, name, status):
    parts = split_signed(parse_entity(message_bytes(name)))
    assert verifier.verify_detached(parts.signature, parts.signed_bytes).verdict == status


def test_fixed_encrypted_artefact_decrypts_to_a_thunderbird_entity(corpus_gpg):
    msg = parse_entity(message_bytes("mime_encrypted_thunderbird_style.eml"))
    inner = parse_entity(corpus_gpg.decrypt(encrypted_payload(msg)).output)
    assert inner.get_param("protected-headers") == "v1"
    assert str(make_header(decode_header(inner["Subject"]))) == "Grüße"
    assert "Zürich" in inner.get_payload(0).get_payload(decode=True).decode("utf-8")


@pytest.mark.parametrize("name", sorted(plain_messages()))
def test_plain_corpus_files_are_what_the_script_writes(name):
    assert (MESSAGES / name).read_bytes() == plain_messages()[name]


def test_decrypted_post_survives_re_signing_and_re_encryption(corpus_gpg, alice):
    received = parse_entity(message_bytes("mime_encrypted_thunderbird_style.eml"))
    plaintext = corpus_gpg.decrypt(encrypted_payload(received)).output
    post = pickle.loads(pickle.dumps(parse_entity(plaintext)))
    assert entity_bytes(post) == plaintext

    # The list signs the post and encrypts it to a subscriber (here: alice), who knows the
    # list key; each side imports the other's public key.
    corpus_gpg.import_key(alice.export().encode())
    alice.import_key(corpus_gpg.export().encode())
    data = canonical_bytes(post)
    signed = build_signed(data, corpus_gpg.sign_detached(data), "pgp-sha256")
    outgoing = build_encrypted(corpus_gpg.encrypt(entity_bytes(signed), alice.fingerprint()))
    outgoing["To"] = "alice@example.com"
    wire = pickle.loads(pickle.dumps(outgoing)).as_bytes()

    delivered = alice.decrypt(encrypted_payload(parse_entity(wire))).output
    parts = split_signed(parse_entity(delivered))
    assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "GOODSIG"
    assert parts.content.get_payload(0).get_payload(decode=True).splitlines() == (
        post.get_payload(0).get_payload(decode=True).splitlines()
    )
