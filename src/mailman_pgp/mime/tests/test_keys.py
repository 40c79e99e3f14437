# Test that public keys and revocation certificates are extracted from attachments and pasted
# text exactly as GnuPG exported them, that private keys are never returned, and that damaged
# key data is reported.

import pytest

from mailman_pgp.mime import MalformedPGPMIME, extract_key_blocks, parse_entity
from mailman_pgp.mime.tests.conftest import KEYS, message_bytes
from mailman_pgp.testing import client_mail
from mailman_pgp.testing.gnupg import GnuPGClient


def test_attached_key_is_the_corpus_key(verifier):
    blocks = extract_key_blocks(
        parse_entity(message_bytes("key_attached_thunderbird_style.eml"))
    )
    assert len(blocks) == 1
    assert verifier.fingerprints(blocks[0]) == [verifier.fingerprint()]


def test_pasted_key_and_revocation_certificate_are_both_found(verifier):
    blocks = extract_key_blocks(parse_entity(message_bytes("key_pasted_with_revocation.eml")))
    assert len(blocks) == 2
    assert verifier.fingerprints(blocks[0]) == [verifier.fingerprint()]
    # The second block, imported after the key, revokes it.
    gpg = GnuPGClient()
    try:
        gpg.import_key(blocks[0])
        gpg.import_key(blocks[1])
        listing = gpg.run("--with-colons", "--list-keys").output.decode()
    finally:
        gpg.close()
    assert [line.split(":")[1] for line in listing.splitlines() if line.startswith("pub:")] == [
        "r"
    ]


@pytest.mark.parametrize("cte", ["quoted-printable", "base64"])
def test_attached_key_in_any_transfer_encoding_comes_back_as_exported(alice, cte):
    exported = alice.export().encode()
    blocks = extract_key_blocks(parse_entity(client_mail.key_attached(exported, cte)))
    assert [block.replace(b"\r\n", b"\n") for block in blocks] == [exported]


def test_binary_key_attachment_is_returned_as_it_is(alice):
    binary = alice.run("--export", alice.fingerprint()).output
    msg = parse_entity(
        client_mail.key_attached(binary, "base64").replace(
            b"Content-Type: text/plain", b"Content-Type: text/x-none"
        )
    )
    assert extract_key_blocks(msg) == [binary]
    assert alice.fingerprints(binary) == [alice.fingerprint()]


def test_keys_in_several_parts_come_in_order(alice, verifier):
    corpus_key = (KEYS / "alice_public.asc").read_bytes()
    data = client_mail.key_pasted(alice.export().encode(), corpus_key)
    blocks = extract_key_blocks(parse_entity(data))
    assert [alice.fingerprints(block)[0] for block in blocks] == [
        alice.fingerprint(), verifier.fingerprint()
    ]


def test_private_key_blocks_are_never_returned(alice):
    data = client_mail.key_pasted(alice.export_secret().encode(), alice.export().encode())
    blocks = extract_key_blocks(parse_entity(data))
    assert len(blocks) == 1
    assert b"PRIVATE" not in blocks[0]


def test_attachment_that_is_no_key_raises():
    msg = parse_entity(client_mail.key_attached(b"just some text\n"))
    with pytest.raises(MalformedPGPMIME, match="neither an armored public key block"):
        extract_key_blocks(msg)


def test_damaged_pasted_key_raises(alice):
    exported = alice.export().encode()
    damaged = exported.replace(exported.splitlines()[3], b"*" * 64)
    with pytest.raises(MalformedPGPMIME, match="damaged Radix-64"):
        extract_key_blocks(parse_entity(client_mail.key_pasted(damaged)))


def test_message_without_keys_gives_none():
    assert extract_key_blocks(parse_entity(message_bytes("alternative_text_html.eml"))) == []
