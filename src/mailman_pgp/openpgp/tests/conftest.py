"""Fixtures of the OpenPGP tests: a real gpg as the subscribers' client, the list's key."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from mailman_pgp.openpgp import SecretKey, generate_key
from mailman_pgp.openpgp.tests.helpers import SUBSCRIBER_SECRETS, GnuPGClient, key_data


@pytest.fixture(scope="session")
def gnupg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GnuPGClient]:
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    client = GnuPGClient(home)
    for name in SUBSCRIBER_SECRETS:
        client.import_key(key_data(f"{name}.sec.asc"))
    yield client
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"],
                   env={"PATH": os.defpath, "GNUPGHOME": str(home)}, check=False)


@pytest.fixture(scope="session")
def list_key(gnupg: GnuPGClient) -> SecretKey:
    """The list's key pair, made by us; the client knows its public half."""
    key = generate_key("Test List <test@example.com>")
    gnupg.import_key(key.certificate.armor)
    return key
