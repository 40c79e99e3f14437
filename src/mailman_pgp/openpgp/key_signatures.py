"""What GnuPG says of the signatures on a key, for those pysequoia cannot verify.

Sequoia verifies a key's own self-signatures when it reads a certificate, but pysequoia
0.1.35 tells only whether the key as a whole is revoked: not whether a revocation of one of
its subkeys verified (a forged one is kept, and reads as a revocation, tried), and nothing
about certifications made by other keys. ``gpg --check-signatures`` verifies both. It runs
as for the diagnosis of a message (`mailman_pgp.openpgp.gnupg`): a fresh temporary
GNUPGHOME holding only the public certificates given, ``--no-autostart``, an explicit
environment and a timeout. GnuPG drops a self-signature that does not verify when it
imports a key, and lists another key's signature with its verdict.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from mailman_pgp.openpgp.errors import CommandUnavailable
from mailman_pgp.openpgp.process import minimal_env, run
from mailman_pgp.openpgp.sop import SOP

# Signature classes (RFC 9580 5.2.1) that GnuPG lists.
GENERIC_CERTIFICATION = 0x10
POSITIVE_CERTIFICATION = 0x13
KEY_REVOCATION = 0x20
SUBKEY_REVOCATION = 0x28


@dataclass(frozen=True)
class CheckedSignature:
    """One signature on a key as GnuPG verified it.

    ``key`` is the fingerprint of the primary key or subkey the signature is on (a user
    ID's signatures count for the primary key); ``issuer`` the key ID of the key that
    made it; ``created`` its creation time in seconds since the epoch; ``good`` whether it
    verified; ``exportable`` false for a local-only certification (``gpg --lsign-key``).
    """

    key: str
    signature_class: int
    issuer: str
    created: int
    good: bool
    exportable: bool = True

    @property
    def is_certification(self) -> bool:
        return GENERIC_CERTIFICATION <= self.signature_class <= POSITIVE_CERTIFICATION

    @property
    def is_revocation(self) -> bool:
        return self.signature_class in (KEY_REVOCATION, SUBKEY_REVOCATION)


def checked_signatures(certificates: Sequence[bytes], fingerprint: str,
                       sop: SOP) -> list[CheckedSignature]:
    """The signatures on the key ``fingerprint``, verified by GnuPG (``sop.gpg``).

    ``certificates`` are imported first: the key itself, and the keys whose
    certifications of it are to be verified. `CommandUnavailable` if gpg is missing,
    cannot read them, or does not finish within ``sop.timeout`` seconds.
    """
    with tempfile.TemporaryDirectory(prefix="mailman-pgp-gpg-") as home:
        common = [sop.gpg, "--homedir", home, "--batch", "--no-tty", "--no-autostart",
                  "--no-options", "--no-auto-key-retrieve", "--trust-model", "always"]
        env = minimal_env(GNUPGHOME=home, HOME=home)
        imported = run([*common, "--import"], stdin=b"".join(certificates),
                       timeout=sop.timeout, env=env)
        listed = run([*common, "--with-colons", "--check-signatures", "--", fingerprint],
                     stdin=b"", timeout=sop.timeout, env=env)
    if imported.returncode != 0 or listed.returncode != 0:
        raise CommandUnavailable("gpg could not read the key to check its signatures.")
    return parse_check_signatures(listed.stdout)


def parse_check_signatures(listing: bytes) -> list[CheckedSignature]:
    """The ``sig`` and ``rev`` records of ``gpg --with-colons --check-signatures``."""
    found: list[CheckedSignature] = []
    key: str | None = None
    expecting_fingerprint = False
    for line in listing.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        record = fields[0]
        if record in ("pub", "sub"):
            key, expecting_fingerprint = None, True
        elif record == "fpr" and expecting_fingerprint and len(fields) > 9:
            key, expecting_fingerprint = fields[9].upper(), False
        elif record in ("sig", "rev") and key is not None and len(fields) > 10:
            # Field 11 is the class in hex, then "x" (exportable) or "l" (local), and for
            # a revocation ",<reason code>".
            kind = fields[10]
            try:
                signature_class = int(kind[:2], 16)
                created = int(fields[5])
            except ValueError:
                continue
            found.append(CheckedSignature(
                key=key, signature_class=signature_class, issuer=fields[4].upper(),
                created=created, good=fields[1] == "!", exportable=kind[2:3] != "l"))
    return found
