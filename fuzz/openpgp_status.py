"""Fuzz the parsers of what gpg and the SOP command print: ``gnupg.parse_status``,
``sop._good_signatures``, ``key_signatures.parse_check_signatures``.

Their input comes from our own commands, but carries text that senders choose (user IDs,
file names, notations): each parser returns a value for any bytes and never raises.
Seeds are real outputs (``fuzz/seeds/``, made with gpg 2.2 and sqop from the test keys).
"""

from __future__ import annotations

from fuzz import harness
from mailman_pgp.openpgp.gnupg import parse_status
from mailman_pgp.openpgp.key_signatures import parse_check_signatures
from mailman_pgp.openpgp.sop import _good_signatures


def check(data: bytes) -> None:
    report = parse_status(data)
    assert all(s.issuer is None or s.issuer == s.issuer.upper() for s in report.signatures)
    for signature in _good_signatures(data):
        assert signature.created.tzinfo is not None, "a signature time without a zone"
    parse_check_signatures(data)


def seeds() -> harness.Seeds:
    return {**harness.read(harness.OWN_SEEDS.glob("*.txt")), **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
