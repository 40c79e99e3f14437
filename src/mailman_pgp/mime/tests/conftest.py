"""Fixtures of the PGP/MIME tests: real GnuPG homes, made once per test session."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailman_pgp.testing.gnupg import GnuPGClient

DATA = Path(__file__).parent / "data"
MESSAGES = DATA / "messages"
KEYS = DATA / "keys"
ALICE_UID = "Alice <alice@example.com>"


@pytest.fixture(scope="session")
def alice() -> Iterator[GnuPGClient]:
    """Alice's GnuPG, with a fresh ed25519/cv25519 key (``alice.fingerprint()``)."""
    gpg = GnuPGClient()
    try:
        gpg.generate(ALICE_UID)
        yield gpg
    finally:
        gpg.close()


@pytest.fixture(scope="session")
def corpus_gpg() -> Iterator[GnuPGClient]:
    """A GnuPG that knows the corpus key (public and secret), to check the fixed artefacts."""
    gpg = GnuPGClient()
    try:
        gpg.import_key((KEYS / "alice_secret_TEST_ONLY.asc").read_bytes())
        yield gpg
    finally:
        gpg.close()


@pytest.fixture(scope="session")
def verifier() -> Iterator[GnuPGClient]:
    """A GnuPG that holds only the corpus public key, as a recipient's client would."""
    gpg = GnuPGClient()
    try:
        gpg.import_key((KEYS / "alice_public.asc").read_bytes())
        yield gpg
    finally:
        gpg.close()


def message_bytes(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()
