"""Fixtures of the OpenPGP tests: a real gpg as the subscribers' client, the list's key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailman_pgp.openpgp import SecretKey, generate_key
from mailman_pgp.openpgp.tests.key_files import SUBSCRIBER_SECRETS, key_data
from mailman_pgp.testing.gnupg import GnuPGClient


@pytest.fixture(scope="session")
def gnupg() -> Iterator[GnuPGClient]:
    client = GnuPGClient()
    try:
        for name in SUBSCRIBER_SECRETS:
            client.import_key(key_data(f"{name}.sec.asc"))
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def list_key(gnupg: GnuPGClient) -> SecretKey:
    """The list's key pair, made by us; the client knows its public half."""
    key = generate_key("Test List <test@example.com>")
    gnupg.import_key(key.certificate.armor)
    return key
