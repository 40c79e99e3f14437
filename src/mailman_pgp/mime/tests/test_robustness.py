# Test that damaged PGP messages (cut, with lines dropped, doubled or garbled) only ever make
# the readers raise MIMEError, never an AttributeError, IndexError or the like from inside.

import random

import pytest

from mailman_pgp.mime import (
    MessageKind,
    MIMEError,
    canonical_bytes,
    classify,
    encrypted_payload,
    entity_bytes,
    extract_key_blocks,
    find_inline,
    parse_entity,
    split_signed,
)
from mailman_pgp.mime.tests.conftest import MESSAGES

SEEDS = range(60)
SOURCES = sorted(
    path.name for path in MESSAGES.glob("*.eml")
    if path.name.startswith(("mime_", "inline_", "key_"))
)
GARBAGE = [b"", b"--", b"-----BEGIN PGP MESSAGE-----", b"Content-Type: multipart/signed",
           b"=", b"\xff\xfe", b'; boundary=""', b"-----END PGP SIGNATURE-----", b"\r"]


def _damaged(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 4)):
        index = rng.randrange(len(lines))
        action = rng.choice(["drop", "double", "garble", "cut", "truncate_line"])
        if action == "drop":
            del lines[index]
        elif action == "double":
            lines.insert(index, lines[index])
        elif action == "garble":
            lines[index] = rng.choice(GARBAGE) + lines[index][rng.randint(0, 5):]
        elif action == "cut":
            lines = lines[:index + 1]
        else:
            lines[index] = lines[index][: rng.randint(0, len(lines[index]))]
        if not lines:
            lines = [b""]
    return b"\n".join(lines)


def _read_everything(msg) -> None:
    kind = classify(msg)
    if kind is MessageKind.PGP_MIME_ENCRYPTED:
        encrypted_payload(msg)
    elif kind is MessageKind.PGP_MIME_SIGNED:
        split_signed(msg)
    elif kind is not MessageKind.PLAIN:
        find_inline(msg)
    extract_key_blocks(msg)


@pytest.mark.parametrize("name", SOURCES)
def test_damaged_messages_raise_only_mime_errors(name):
    data = (MESSAGES / name).read_bytes()
    outcomes = set()
    for seed in SEEDS:
        msg = parse_entity(_damaged(data, random.Random(f"{name}{seed}")))
        try:
            _read_everything(msg)
            outcomes.add("read")
        except MIMEError:
            outcomes.add("refused")
        assert entity_bytes(msg)
        try:
            canonical = canonical_bytes(msg)
        except MIMEError:
            outcomes.add("cannot be signed")
        else:
            assert canonical_bytes(parse_entity(canonical)) == canonical
    assert outcomes
