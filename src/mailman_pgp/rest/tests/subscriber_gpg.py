"""A subscriber's GnuPG in a throwaway GNUPGHOME: real keys as real clients make them."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PASSPHRASE_ARGS = ("--batch", "--pinentry-mode", "loopback", "--passphrase", "")


class SubscriberGnuPG:
    """``gpg`` with its own home directory; call `close` to stop its agent and remove it."""

    def __init__(self) -> None:
        # Short path: gpg-agent's socket path must fit in a sockaddr_un.
        self.home = Path(tempfile.mkdtemp(prefix="gpg-"))
        self._env = {"GNUPGHOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin")}

    def gpg(self, *args: str, input: bytes | None = None) -> bytes:
        done = subprocess.run(
            ["gpg", *args], input=input, env=self._env, capture_output=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"gpg {' '.join(args)} failed: {done.stderr.decode()}")
        return done.stdout

    def fingerprint(self, user_id: str) -> str:
        listing = self.gpg("--with-colons", "--list-keys", user_id).decode()
        return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))

    def generate(self, user_id: str, *, expire: str = "2y", faked_time: str | None = None) -> str:
        """A new Ed25519/Cv25519 key, as ``gpg --quick-gen-key`` makes it; its fingerprint."""
        when = ("--faked-system-time", faked_time) if faked_time else ()
        self.gpg(
            *PASSPHRASE_ARGS,
            *when,
            "--quick-gen-key",
            user_id,
            "future-default",
            "default",
            expire,
        )
        return self.fingerprint(user_id)

    def revoke(self, fingerprint: str) -> None:
        """Import the revocation certificate gpg made with the key."""
        rev = (self.home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
        self.gpg("--import", input=rev.replace(":-----BEGIN", "-----BEGIN").encode())

    def public_key(self, fingerprint: str) -> str:
        return self.gpg("--armor", "--export", fingerprint).decode()

    def secret_key(self, fingerprint: str) -> str:
        return self.gpg(*PASSPHRASE_ARGS, "--armor", "--export-secret-keys", fingerprint).decode()

    def close(self) -> None:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=self._env, check=False)
        shutil.rmtree(self.home, ignore_errors=True)
