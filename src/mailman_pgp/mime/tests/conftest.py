"""Fixtures of the PGP/MIME tests: real GnuPG homes, made once per test session."""

from pathlib import Path

import pytest

from mailman_pgp.mime.tests.gnupg import GnuPG

DATA = Path(__file__).parent / "data"
MESSAGES = DATA / "messages"
KEYS = DATA / "keys"
ALICE_UID = "Alice <alice@example.com>"


@pytest.fixture(scope="session")
def alice(tmp_path_factory) -> GnuPG:
    """Alice's GnuPG, with a fresh ed25519/cv25519 key (``alice.fingerprint``)."""
    gpg = GnuPG(tmp_path_factory.mktemp("alice-gnupg"))
    gpg.generate(ALICE_UID)
    yield gpg
    gpg.stop()


@pytest.fixture(scope="session")
def corpus_gpg(tmp_path_factory) -> GnuPG:
    """A GnuPG that knows the corpus key (public and secret), to check the fixed artefacts."""
    gpg = GnuPG(tmp_path_factory.mktemp("corpus-gnupg"))
    gpg.import_keys((KEYS / "alice_secret_TEST_ONLY.asc").read_bytes())
    yield gpg
    gpg.stop()


@pytest.fixture(scope="session")
def verifier(tmp_path_factory) -> GnuPG:
    """A GnuPG that holds only the corpus public key, as a recipient's client would."""
    gpg = GnuPG(tmp_path_factory.mktemp("verifier-gnupg"))
    gpg.import_keys((KEYS / "alice_public.asc").read_bytes())
    yield gpg
    gpg.stop()


def message_bytes(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()
