"""Fixtures of the passphrase rotation tests, in one process and across processes."""

import pytest

from mailman_pgp.app.tests.list_keys import passphrase_files_restored
from mailman_pgp.testing.gnupg import GnuPGClient


@pytest.fixture(scope="module")
def gpg():
    """GnuPG as the subscribers' client, one home for the module."""
    client = GnuPGClient()
    yield client
    client.close()


@pytest.fixture
def files(mailman):
    """The plugin's passphrase files, put back as they were after the test."""
    with passphrase_files_restored() as files:
        yield files
