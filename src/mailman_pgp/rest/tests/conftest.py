"""Subscriber keys made once per test session by a real GnuPG."""

from dataclasses import dataclass

import pytest

from mailman_pgp.testing.gnupg import GnuPGClient


@dataclass(frozen=True)
class GpgKeys:
    """ASCII-armored keys (and fingerprints) as a subscriber's GnuPG exports them."""

    anne: str
    anne_fingerprint: str
    # The revocation certificate gpg made with anne's key, its armor line unguarded.
    anne_revocation: str
    anne_second: str
    anne_second_fingerprint: str
    anne_secret: str
    bart: str
    bart_revocation: str
    carol_expired: str
    dave_revoked: str


@pytest.fixture(scope="session")
def gpg_keys():
    gpg = GnuPGClient()
    try:
        anne = gpg.generate("Anne Person <anne@example.com>", expire="2y")
        anne_second = gpg.generate("Anne P. <anne@example.com>", expire="2y")
        bart = gpg.generate("Bart Person <bart@example.com>", expire="2y")
        carol = gpg.generate(
            "Carol Person <carol@example.com>", expire="1y", made_at="20200101T000000"
        )
        dave = gpg.generate("Dave Person <dave@example.com>", expire="2y")
        gpg.revoke(dave)
        yield GpgKeys(
            anne=gpg.export(anne),
            anne_fingerprint=anne,
            anne_revocation=unguarded(gpg.revocation_certificate(anne)),
            anne_second=gpg.export(anne_second),
            anne_second_fingerprint=anne_second,
            anne_secret=gpg.export_secret(anne),
            bart=gpg.export(bart),
            bart_revocation=unguarded(gpg.revocation_certificate(bart)),
            carol_expired=gpg.export(carol),
            dave_revoked=gpg.export(dave),
        )
    finally:
        gpg.close()


def unguarded(revocation_file: str) -> str:
    """GnuPG's revocation certificate file without the ':' that guards its armor line."""
    return revocation_file.replace(":-----BEGIN", "-----BEGIN")


@pytest.fixture
def subscriber_gpg():
    gpg = GnuPGClient()
    yield gpg
    gpg.close()
