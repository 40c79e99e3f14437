"""Fuzz parsing and writing MIME entities: ``parse_entity``, ``entity_bytes``, ``canonical_bytes``.

Allowed: `NestedTooDeeply`, `TooManyParts` and `UnreadableEntity` from ``parse_entity``,
`MIMEError` from ``canonical_bytes`` (a message that cannot be signed). ``entity_bytes``
never raises (it is byte-exact for well-formed entities only: one missing its closing
boundaries gets them); a canonical form comes back unchanged from a new parse, as every
way Mailman writes a message out must leave a signature's bytes intact.
"""

from __future__ import annotations

from fuzz import harness
from mailman_pgp.mime import (
    MIMEError,
    canonical_bytes,
    entity_bytes,
    parse_entity,
)


def check(data: bytes) -> None:
    try:
        msg = parse_entity(data)
    except harness.ENTITY_REFUSED:
        return
    for linesep in (None, "\r\n", "\n"):
        written = entity_bytes(msg, linesep)
        assert isinstance(written, bytes)
    try:
        canonical = canonical_bytes(msg)
    except MIMEError:
        return
    assert canonical_bytes(parse_entity(canonical)) == canonical, "canonical form changed"


def seeds() -> harness.Seeds:
    return {**harness.messages(), **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
