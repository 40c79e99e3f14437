"""Fuzz the key readers over pysequoia: ``load_certificate`` and ``parse_certificate``.

Allowed: `KeyParseError` (with `NotASingleCertificate`, `SecretKeyGiven`,
`RevocationGiven`) and, from ``parse_certificate`` and ``check_usable``, `KeyUnusable`.
A bare ``RuntimeError`` from pysequoia, or any other exception, is a crash: the boundary
must translate it. A certificate read once reads back the same from its stored armor.
"""

from __future__ import annotations

from fuzz import harness
from mailman_pgp.openpgp import (
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
        assert load_certificate(cert.armor) == cert, "the stored armor reads differently"
        assert cert.algorithm and cert.created
        try:
            cert.check_usable()
        except KeyUnusable:
            pass
    try:
        parse_certificate(data, email="alice@example.com")
    except (KeyParseError, KeyUnusable):
        pass


def seeds() -> harness.Seeds:
    return {**harness.keys(), **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
