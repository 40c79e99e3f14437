"""The GnuPG-made keys committed for the OpenPGP tests, read from disk."""

from __future__ import annotations

from pathlib import Path

from mailman_pgp.openpgp import Certificate, load_certificate

KEYS = Path(__file__).parent / "data" / "keys"
SUBSCRIBER_SECRETS = ("alice_cv25519", "bob_rsa4096", "carol_expired",
                      "dave_before_revocation")


def key_data(name: str) -> bytes:
    """A committed key file, e.g. ``key_data("alice_cv25519.pub.asc")``."""
    return (KEYS / name).read_bytes()


def cert(name: str) -> Certificate:
    """The public certificate in ``<name>.pub.asc``, loaded without judging it."""
    return load_certificate(key_data(f"{name}.pub.asc"))
