"""Subscriber keys made once per test session by a real GnuPG."""

from dataclasses import dataclass

import pytest

from mailman_pgp.rest.tests.subscriber_gpg import SubscriberGnuPG


@dataclass(frozen=True)
class GpgKeys:
    """ASCII-armored keys (and fingerprints) as a subscriber's GnuPG exports them."""

    anne: str
    anne_fingerprint: str
    anne_second: str
    anne_second_fingerprint: str
    anne_secret: str
    bart: str
    carol_expired: str
    dave_revoked: str


@pytest.fixture(scope="session")
def gpg_keys():
    gpg = SubscriberGnuPG()
    try:
        anne = gpg.generate("Anne Person <anne@example.com>")
        anne_second = gpg.generate("Anne P. <anne@example.com>")
        bart = gpg.generate("Bart Person <bart@example.com>")
        carol = gpg.generate(
            "Carol Person <carol@example.com>", expire="1y", faked_time="20200101T000000!"
        )
        dave = gpg.generate("Dave Person <dave@example.com>")
        gpg.revoke(dave)
        yield GpgKeys(
            anne=gpg.public_key(anne),
            anne_fingerprint=anne,
            anne_second=gpg.public_key(anne_second),
            anne_second_fingerprint=anne_second,
            anne_secret=gpg.secret_key(anne),
            bart=gpg.public_key(bart),
            carol_expired=gpg.public_key(carol),
            dave_revoked=gpg.public_key(dave),
        )
    finally:
        gpg.close()


@pytest.fixture
def subscriber_gpg():
    gpg = SubscriberGnuPG()
    yield gpg
    gpg.close()
