"""Fuzz the key readers over pysequoia: ``load_certificate`` and ``parse_certificate``.

Allowed: `KeyParseError` (with `NotASingleCertificate`, `SecretKeyGiven`,
`RevocationGiven`) and, from ``parse_certificate`` and ``check_usable``, `KeyUnusable`.
A bare ``RuntimeError`` from pysequoia, or any other exception, is a crash: the boundary
must translate it. A certificate read once reads back the same from its stored armor: the
same fields, and after one more round the same armor (Sequoia may order signatures it
cannot verify differently the first time it writes them out).
"""

from __future__ import annotations

import dataclasses

from fuzz import harness
from mailman_pgp.openpgp import (
    Certificate,
    KeyParseError,
    KeyUnusable,
    load_certificate,
    parse_certificate,
)


def check(data: bytes) -> None:
    try:
        cert = load_certificate(data)
    except KeyParseError:
        pass
    else:
        again = load_certificate(cert.armor)
        assert _meaning(again) == _meaning(cert), "the stored armor reads differently"
        assert load_certificate(again.armor).armor == again.armor, "the armor never settles"
        assert cert.algorithm and cert.created
        try:
            cert.check_usable()
        except KeyUnusable:
            pass
    try:
        parse_certificate(data, email="alice@example.com")
    except (KeyParseError, KeyUnusable):
        pass


def _meaning(cert: Certificate) -> dict[str, object]:
    """What the plugin reads from a certificate: every field but the armor itself."""
    return {field.name: getattr(cert, field.name) for field in dataclasses.fields(cert)
            if field.name not in ("armor", "_parsed")}


def seeds() -> harness.Seeds:
    return {**harness.keys(), **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
