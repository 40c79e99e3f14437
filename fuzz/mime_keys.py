"""Fuzz the readers of keys that messages carry: ``extract_key_blocks``,
``carries_secret_key``, ``without_key_blocks``.

Allowed: `NestedTooDeeply`, `TooManyParts` and `UnreadableEntity` from ``parse_entity``,
`MalformedPGPMIME` from ``extract_key_blocks``; the other two never raise. No private key
block is ever handed out; a message with the BEGIN line of a private key block in a text
or key part carries a secret key, damaged armor or not; and the copy
``without_key_blocks`` makes (what a reply may quote) has no BEGIN line of a key block
left in its text and can be written out.
"""

from __future__ import annotations

import re
from email.message import Message

from fuzz import harness
from mailman_pgp.mime import (
    MalformedPGPMIME,
    carries_secret_key,
    entity_bytes,
    extract_key_blocks,
    parse_entity,
    without_key_blocks,
)
from mailman_pgp.mime.entity import decoded_body

PRIVATE_BEGIN = re.compile(rb"^:?-----BEGIN PGP PRIVATE KEY BLOCK-----", re.MULTILINE)
KEY_BEGIN = re.compile(rb"^:?-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----", re.MULTILINE)


def check(data: bytes) -> None:
    try:
        msg = parse_entity(data)
    except harness.ENTITY_REFUSED:
        return
    try:
        blocks = extract_key_blocks(msg)
    except MalformedPGPMIME:
        blocks = []
    for block in blocks:
        assert not PRIVATE_BEGIN.match(block), "a private key handed out"
    secret = any(PRIVATE_BEGIN.search(decoded_body(part)) for part in _leaves(msg)
                 if part.get_content_type() in ("text/plain", "application/pgp-keys"))
    assert carries_secret_key(msg) or not secret, "a secret key not noticed"
    copy = without_key_blocks(msg)
    entity_bytes(copy)
    for part in _leaves(copy):
        if part.get_content_type() == "text/plain":
            assert not KEY_BEGIN.search(decoded_body(part)), "a key block left in the copy"


def _leaves(msg: Message) -> list[Message]:
    return [part for part in msg.walk() if not part.is_multipart()]


def seeds() -> harness.Seeds:
    """The corpus messages, and one with a secret key pasted in, as people do by mistake."""
    secret = (harness.MIME_KEYS / "alice_secret_TEST_ONLY.asc").read_bytes()
    pasted = (b"From: alice@example.com\nSubject: key set\nContent-Type: text/plain\n\n"
              b"key set\n\n" + secret)
    return {**harness.messages(), "key_pasted_secret.eml": pasted, **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
