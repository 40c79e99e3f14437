"""Fuzz the inline PGP reader: ``find_inline`` beside ``classify``.

Allowed: `NestedTooDeeply`, `TooManyParts` and `UnreadableEntity` from ``parse_entity``,
`MalformedPGPMIME` from ``find_inline``; ``classify`` never raises. A message whose
inline PGP block ``find_inline`` reads is never classified as plain: damaged or not, PGP
must not pass as plain text.
"""

from __future__ import annotations

from fuzz import harness
from mailman_pgp.mime import (
    MalformedPGPMIME,
    MessageKind,
    classify,
    find_inline,
    parse_entity,
)


def check(data: bytes) -> None:
    try:
        msg = parse_entity(data)
    except harness.ENTITY_REFUSED:
        return
    kind = classify(msg)
    try:
        found = find_inline(msg)
    except MalformedPGPMIME:
        return
    assert kind is not MessageKind.PLAIN, "inline PGP classified as plain"
    assert found.kind in (MessageKind.INLINE_ENCRYPTED, MessageKind.INLINE_SIGNED)
    assert found.armor.startswith(b"-----BEGIN PGP ")


def seeds() -> harness.Seeds:
    return {**harness.messages(), **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
