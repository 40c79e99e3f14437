"""Fuzz the RFC 3156 readers: ``classify``, ``encrypted_payload``, ``split_signed``.

Allowed: `NestedTooDeeply`, `TooManyParts` and `UnreadableEntity` from ``parse_entity``,
`MalformedPGPMIME` from the readers, `MIMEError` from ``build_signed``; ``classify``
never raises. What the readers hand out is whole armor of the kind asked for, and a
signed message built again from the parts of one carries the same signed bytes.
"""

from __future__ import annotations

from fuzz import harness
from mailman_pgp.mime import (
    MalformedPGPMIME,
    MessageKind,
    MIMEError,
    build_signed,
    classify,
    encrypted_payload,
    parse_entity,
    split_signed,
)


def check(data: bytes) -> None:
    try:
        msg = parse_entity(data)
    except harness.ENTITY_REFUSED:
        return
    kind = classify(msg)
    try:
        payload = encrypted_payload(msg)
    except MalformedPGPMIME:
        pass
    else:
        assert kind is MessageKind.PGP_MIME_ENCRYPTED
        assert payload.startswith(b"-----BEGIN PGP MESSAGE-----")
    try:
        parts = split_signed(msg)
    except MalformedPGPMIME:
        return
    assert kind is MessageKind.PGP_MIME_SIGNED
    assert parts.signature.startswith(b"-----BEGIN PGP SIGNATURE-----")
    try:
        rebuilt = build_signed(parts.signed_bytes, parts.signature, parts.micalg)
    except MIMEError:
        return
    assert split_signed(rebuilt).signed_bytes == parts.signed_bytes


def seeds() -> harness.Seeds:
    return {**harness.messages(), **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
