# Test that every message of the corpus is classified by its PGP structure, malformed
# PGP messages included, so that none of them passes as plain.

import pytest

from mailman_pgp.mime import MessageKind, classify, encrypted_under_signature, parse_entity
from mailman_pgp.mime.tests.conftest import MESSAGES, message_bytes

PREFIXES = {
    "mime_encrypted_": MessageKind.PGP_MIME_ENCRYPTED,
    "mime_signed_": MessageKind.PGP_MIME_SIGNED,
    "inline_clearsigned_": MessageKind.INLINE_SIGNED,
    "inline_encrypted": MessageKind.INLINE_ENCRYPTED,
    "inline_broken_armor": MessageKind.INLINE_ENCRYPTED,
    "plain_": MessageKind.PLAIN,
    "mixed_": MessageKind.PLAIN,
    "alternative_": MessageKind.PLAIN,
    "key_": MessageKind.PLAIN,
}
CORPUS = sorted(path.name for path in MESSAGES.glob("*.eml"))


def _expected(name: str) -> MessageKind:
    (kind,) = [kind for prefix, kind in PREFIXES.items() if name.startswith(prefix)]
    return kind


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_message_is_classified_by_its_structure(name):
    assert classify(parse_entity(message_bytes(name))) is _expected(name)


def test_cleartext_signed_block_with_damaged_end_is_still_inline_signed():
    data = (
        b"Content-Type: text/plain\n\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
        b"text\n-----BEGIN PGP SIGNATURE-----\n\nAAAA\n"
    )
    assert classify(parse_entity(data)) is MessageKind.INLINE_SIGNED


def test_armor_in_an_html_part_is_not_inline_pgp():
    data = (
        b"Content-Type: text/html\n\n<pre>\n-----BEGIN PGP MESSAGE-----\n\nAAAA\n"
        b"-----END PGP MESSAGE-----\n</pre>\n"
    )
    assert classify(parse_entity(data)) is MessageKind.PLAIN


@pytest.mark.parametrize("name", CORPUS)
def test_only_a_signature_around_an_encrypted_part_is_encrypted_under_signature(name):
    assert encrypted_under_signature(parse_entity(message_bytes(name))) is False


def test_a_signature_around_an_encrypted_part_is_encrypted_under_signature():
    data = (
        b'Content-Type: multipart/signed; protocol="application/pgp-signature";'
        b' micalg=pgp-sha256; boundary="s"\n\n--s\n'
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";'
        b' boundary="e"\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n'
        b"--e--\n--s\nContent-Type: application/pgp-signature\n\nsig\n--s--\n"
    )
    assert encrypted_under_signature(parse_entity(data)) is True
    # A multipart/signed without parts, or a single part, never raises.
    assert encrypted_under_signature(parse_entity(
        b'Content-Type: multipart/signed; boundary="s"\n\nno parts\n')) is False
