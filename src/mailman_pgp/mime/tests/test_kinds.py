# Test that every message of the corpus is classified by its PGP structure, malformed
# PGP messages included, so that none of them passes as plain.

import pytest

from mailman_pgp.mime import MessageKind, classify, parse_entity
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
