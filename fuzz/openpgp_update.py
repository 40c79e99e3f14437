"""Fuzz what updates a key we hold: ``Certificate.update``, ``revocations_from``,
``certified_by`` (revocations, new expiries, certifications that people send).

Allowed: what their docstrings name: `NotAnUpdate`, `RevocationRefused`,
`CertificationRefused`, `SecretKeyGiven`, `NotASingleCertificate`, `KeyParseError`,
`CommandUnavailable` (gpg checks revocations of subkeys and certifications: it runs for
the inputs that get that far, with a short timeout). A bare ``RuntimeError`` from
pysequoia, or any other exception, is a crash. An update never turns a key into another.
"""

from __future__ import annotations

from fuzz import harness
from mailman_pgp.openpgp import (
    SOP,
    CommandUnavailable,
    KeyParseError,
    RevocationRefused,
    load_certificate,
)
from mailman_pgp.openpgp.keys import CertificationRefused

# Dave's key before its revocation (dave_revoked.pub.asc revokes it), Alice's of the MIME
# corpus (alice_revocation.rev revokes it), and Dave's with a subkey packet Sequoia cannot
# read (a finding: the list may hold such a key); Bob's key certifies.
HELD = [load_certificate((harness.OPENPGP_KEYS / "dave_before_revocation.sec.asc").read_bytes()),
        load_certificate((harness.MIME_KEYS / "alice_public.asc").read_bytes()),
        load_certificate((harness.FINDINGS / "openpgp_key_unreadable_subkey_revoked.pgp")
                         .read_bytes())]
CERTIFIER = load_certificate((harness.OPENPGP_KEYS / "bob_rsa4096.pub.asc").read_bytes())
COMMANDS = SOP(timeout=10.0)
ALLOWED = (KeyParseError, RevocationRefused, CertificationRefused, CommandUnavailable)


def check(data: bytes) -> None:
    for held in HELD:
        for update in (held.update, held.revocations_from):
            try:
                updated = update(data, sop=COMMANDS)
            except ALLOWED:
                continue
            assert updated.fingerprint == held.fingerprint
        try:
            updated = held.certified_by(data, CERTIFIER, sop=COMMANDS)
        except ALLOWED:
            continue
        assert updated.fingerprint == held.fingerprint


def seeds() -> harness.Seeds:
    return {**harness.keys(), **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
