"""GnuPG as the subscriber's client in tests: a real ``gpg`` with its own GNUPGHOME."""

import os
import re
import subprocess
import tempfile
from pathlib import Path

GPG_OPTIONS = ["--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""]


class GnuPG:
    """One GnuPG home with helpers for what mail clients do with it."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.fingerprint: str | None = None
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)

    def run(self, *args: str, input: bytes = b"", check: bool = True):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GNUPGHOME": str(self.home)}
        return subprocess.run(
            ["gpg", *GPG_OPTIONS, *args], input=input, capture_output=True, env=env, check=check
        )

    def generate(self, uid: str) -> str:
        """An ed25519 signing primary key with a cv25519 encryption subkey; its fingerprint."""
        self.run("--quick-gen-key", uid, "ed25519", "sign", "0")
        fingerprint = self.fingerprints(self.export_public())[0]
        self.run("--quick-add-key", fingerprint, "cv25519", "encr", "0")
        self.fingerprint = fingerprint
        return fingerprint

    def import_keys(self, data: bytes) -> None:
        self.run("--import", input=data)
        if self.fingerprint is None:
            self.fingerprint = self.fingerprints(data)[0]

    def export_public(self) -> bytes:
        return self.run("--armor", "--export").stdout

    def export_secret(self) -> bytes:
        return self.run("--armor", "--export-secret-keys").stdout

    def revocation_certificate(self, fingerprint: str) -> bytes:
        return (self.home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_bytes()

    def fingerprints(self, key_data: bytes) -> list[str]:
        """Fingerprints of the primary keys in ``key_data``, without importing them."""
        listing = self.run(
            "--with-colons", "--import-options", "show-only", "--import", input=key_data
        ).stdout.decode()
        lines = listing.splitlines()
        return [
            lines[index + 1].split(":")[9]
            for index, line in enumerate(lines)
            if line.startswith(("pub:", "sec:")) and lines[index + 1].startswith("fpr:")
        ]

    def detach_sign(self, data: bytes, digest: str = "SHA256") -> bytes:
        return self.run("--armor", "--detach-sign", "--digest-algo", digest, input=data).stdout

    def clearsign(self, data: bytes) -> bytes:
        return self.run("--clearsign", "--digest-algo", "SHA256", input=data).stdout

    def encrypt(self, data: bytes, recipient: str, sign: bool = False) -> bytes:
        args = ["--armor", "--encrypt", "--recipient", recipient, "--trust-model", "always"]
        return self.run(*args, *(["--sign"] if sign else []), input=data).stdout

    def decrypt(self, data: bytes) -> bytes:
        return self.run("--decrypt", input=data).stdout

    def verify_detached(self, signature: bytes, data: bytes) -> str:
        """``GOODSIG``, ``BADSIG`` or the failure status GnuPG reports for a detached signature."""
        with tempfile.NamedTemporaryFile(dir=self.home, suffix=".asc") as sig:
            sig.write(signature)
            sig.flush()
            result = self.run("--status-fd", "1", "--verify", sig.name, "-", input=data,
                              check=False)
        return _signature_status(result.stdout)

    def verify_cleartext(self, data: bytes) -> str:
        result = self.run("--status-fd", "1", "--verify", input=data, check=False)
        return _signature_status(result.stdout)

    def stop(self) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GNUPGHOME": str(self.home)}
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)


def _signature_status(status: bytes) -> str:
    for word in ("GOODSIG", "BADSIG", "EXPSIG", "REVKEYSIG", "ERRSIG", "NODATA"):
        if re.search(rb"^\[GNUPG:\] " + word.encode() + rb"\b", status, re.MULTILINE):
            return word
    return "NOSIG"
