"""Helpers of the OpenPGP tests: GnuPG-made keys on disk and a real gpg as the client."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
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


@dataclass
class GnuPGClient:
    """A subscriber's GnuPG in its own home, holding the committed secret keys."""

    home: Path

    def run(self, *args: str, input: bytes = b"", check: bool = True,
            faked_time: str | None = None) -> subprocess.CompletedProcess:
        argv = ["gpg", "--homedir", str(self.home), "--batch", "--pinentry-mode", "loopback",
                "--passphrase", "", "--trust-model", "always", "--no-auto-key-retrieve"]
        if faked_time:
            argv += ["--faked-system-time", faked_time, "--ignore-time-conflict",
                     "--ignore-valid-from"]
        done = subprocess.run([*argv, *args], input=input, capture_output=True,
                              env={"PATH": os.defpath, "GNUPGHOME": str(self.home),
                                   "LC_ALL": "C"}, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(f"gpg {' '.join(args)} failed: {done.stderr.decode()}")
        return done

    def status(self, *args: str, input: bytes = b"") -> list[list[str]]:
        """gpg's ``--status-fd`` lines, split into words, for a command that may fail."""
        done = self.run("--status-fd", "2", *args, input=input, check=False)
        prefix = "[GNUPG:] "
        return [line[len(prefix):].split()
                for line in done.stderr.decode("utf-8", "replace").splitlines()
                if line.startswith(prefix)]

    def import_key(self, data: bytes | str) -> None:
        self.run("--import", input=data.encode() if isinstance(data, str) else data)
