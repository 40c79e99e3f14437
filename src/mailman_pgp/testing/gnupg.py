"""A subscriber's mail client in tests: the real ``gpg`` with its own throwaway GNUPGHOME.

Independent of the plugin's own OpenPGP code, so what it checks is checked from outside.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

GPG = shutil.which("gpg") or "gpg"
GPGCONF = shutil.which("gpgconf") or "gpgconf"
OPTIONS = ("--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "",
           "--trust-model", "always", "--no-auto-key-retrieve")
SIGNATURE_VERDICTS = ("GOODSIG", "BADSIG", "EXPSIG", "REVKEYSIG", "ERRSIG", "NODATA")


@dataclass(frozen=True)
class GpgResult:
    """What one ``gpg`` run wrote: standard output, error output and ``--status-fd`` lines."""

    output: bytes
    stderr: bytes
    status: list[str]
    returncode: int

    def has(self, keyword: str, argument: str = "") -> bool:
        """True when a status line says ``keyword`` (followed by ``argument``, if given)."""
        prefix = f"[GNUPG:] {keyword}"
        return any(
            line.startswith(prefix)
            and (not argument or line[len(prefix):].split()[:1] == [argument])
            for line in self.status
        )

    def line(self, keyword: str) -> list[str]:
        """The words of the first status line that says ``keyword``, the keyword first."""
        return next(words for line in self.status
                    if (words := line.split()[1:])[:1] == [keyword])

    @property
    def verdict(self) -> str:
        """``GOODSIG``, ``BADSIG`` or the failure GnuPG reported; ``NOSIG`` if none."""
        return next((word for word in SIGNATURE_VERDICTS if self.has(word)), "NOSIG")


class GnuPGClient:
    """``gpg`` with its own GNUPGHOME (mode 0700); `close` stops its agent and removes it."""

    def __init__(self) -> None:
        # Short path: gpg-agent's socket path must fit in a sockaddr_un.
        self.home = Path(tempfile.mkdtemp(prefix="gpg-"))
        os.chmod(self.home, 0o700)
        self._env = {"GNUPGHOME": str(self.home), "PATH": os.environ.get("PATH", os.defpath),
                     "LC_ALL": "C"}
        # "--trust-model always" never makes a trustdb, but importing a revocation needs one.
        self.run("--trust-model", "pgp", "--check-trustdb")

    def close(self) -> None:
        subprocess.run([GPGCONF, "--homedir", str(self.home), "--kill", "all"], env=self._env,
                       capture_output=True, check=False)
        shutil.rmtree(self.home, ignore_errors=True)

    def run(self, *args: str, input: bytes | str = b"", check: bool = True,
            faked_time: str | None = None) -> GpgResult:
        """``gpg`` with ``args``; ``faked_time`` (``20200101T000000!``) sets its clock."""
        clock = ("--faked-system-time", faked_time, "--ignore-time-conflict",
                 "--ignore-valid-from") if faked_time else ()
        status_r, status_w = os.pipe()
        command = [GPG, *OPTIONS, "--status-fd", str(status_w), *clock, *args]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=self._env,
                              pass_fds=(status_w,)) as process:
            os.close(status_w)
            with os.fdopen(status_r, "rb") as status_file:
                # Small inputs and outputs: gpg's status lines fit the pipe until read after.
                output, errors = process.communicate(
                    input.encode() if isinstance(input, str) else input, timeout=60)
                status = status_file.read().decode("utf-8", "replace").splitlines()
        if check and process.returncode != 0:
            raise RuntimeError(f"gpg {' '.join(args)} failed: {errors.decode(errors='replace')}")
        return GpgResult(output, errors, status, process.returncode)

    def generate(self, user_id: str, algorithm: str = "future-default", *,
                 expire: str = "never", made_at: str | None = None) -> str:
        """Make a key pair without passphrase, as ``gpg --quick-gen-key``; its fingerprint.

        ``made_at`` (e.g. ``20200101T000000``) back-dates it, so that with ``expire``
        ("1y") the key is expired today, for real.
        """
        self.run("--quick-generate-key", user_id, algorithm, "default", expire,
                 faked_time=f"{made_at}!" if made_at else None)
        return self.fingerprint(user_id)

    def fingerprint(self, user_id: str | None = None) -> str:
        """The fingerprint of the first key for ``user_id``, or of the first key held."""
        listing = self.run("--with-colons", "--list-keys",
                           *([user_id] if user_id else [])).output.decode()
        match = re.search(r"^fpr:+([0-9A-F]{40,64}):", listing, re.M)
        assert match is not None, f"gpg lists no key: {listing!r}"
        return match.group(1)

    def fingerprints(self, key_data: bytes | str) -> list[str]:
        """Fingerprints of the primary keys in ``key_data``, without importing them."""
        lines = self.run("--with-colons", "--import-options", "show-only", "--import",
                         input=key_data).output.decode().splitlines()
        return [
            lines[index + 1].split(":")[9]
            for index, line in enumerate(lines)
            if line.startswith(("pub:", "sec:")) and lines[index + 1].startswith("fpr:")
        ]

    def import_key(self, armor: bytes | str) -> None:
        self.run("--import", input=armor)

    def export(self, who: str | None = None) -> str:
        """The armored public keys of ``who``, or of every key held."""
        return self.run("--armor", "--export", *([who] if who else [])).output.decode()

    def export_secret(self, who: str | None = None) -> str:
        return self.run("--armor", "--export-secret-keys",
                        *([who] if who else [])).output.decode()

    def revocation_certificate(self, fingerprint: str) -> str:
        """The revocation certificate gpg made with the key, as it wrote it (armor guarded)."""
        return (self.home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()

    def revoke(self, fingerprint: str) -> None:
        """Revoke the key with the revocation certificate gpg made with it."""
        certificate = self.revocation_certificate(fingerprint)
        self.import_key(certificate.replace(":-----BEGIN", "-----BEGIN"))

    def gen_revoke(self, fingerprint: str, reason: str = "1",
                   text: str = "The key was compromised") -> str:
        """What ``gpg --gen-revoke`` prints, its questions answered as a person would.

        ``reason`` is GnuPG's menu number: 0 no reason, 1 compromised, 2 superseded,
        3 no longer used.
        """
        return self.run("--no-batch", "--command-fd", "0", "--armor", "--gen-revoke",
                        fingerprint, input=f"y\n{reason}\n{text}\n\ny\n").output.decode()

    def subkeys(self, fingerprint: str) -> list[tuple[str, str]]:
        """The subkeys of the key ``fingerprint``: (fingerprint, capabilities), in order.

        Capabilities as GnuPG lists them: ``e`` encrypt, ``s`` sign, ``a`` authenticate.
        """
        lines = self.run("--with-colons", "--list-keys", fingerprint).output.decode().splitlines()
        return [(lines[index + 1].split(":")[9], line.split(":")[11])
                for index, line in enumerate(lines) if line.startswith("sub:")]

    def revoke_subkey(self, fingerprint: str, number: int = 1) -> None:
        """Revoke subkey ``number`` (1 the first) of the key, as ``gpg --edit-key`` does
        with ``key N``, ``revkey``, ``save``."""
        self.run("--command-fd", "0", "--edit-key", fingerprint,
                 input=f"key {number}\nrevkey\ny\n0\n\ny\nsave\n")

    def add_subkey(self, fingerprint: str, algorithm: str = "cv25519",
                   usage: str = "encr") -> str:
        """A new subkey for the key (``gpg --quick-add-key``); the new subkey's fingerprint."""
        before = {subkey for subkey, _ in self.subkeys(fingerprint)}
        self.run("--quick-add-key", fingerprint, algorithm, usage, "never")
        [added] = [subkey for subkey, _ in self.subkeys(fingerprint) if subkey not in before]
        return added

    def certify(self, fingerprint: str, signer: str | None = None) -> None:
        """Certify all user IDs of the key ``fingerprint`` (imported before), exportably,
        as ``gpg --quick-sign-key`` does."""
        self.run(*(["--local-user", signer] if signer else []), "--quick-sign-key",
                 fingerprint)

    def encrypt(self, data: bytes, recipient: str, signer: str | None = None) -> bytes:
        """``gpg --encrypt --armor`` (with ``--sign`` if ``signer``), compression included."""
        signing = ["--sign", "--local-user", signer] if signer else []
        return self.run("--armor", "--encrypt", "--recipient", recipient, *signing,
                        input=data).output

    def sign_detached(self, data: bytes, signer: str | None = None,
                      digest: str = "SHA256") -> bytes:
        return self.run("--armor", "--detach-sign", *_signing(signer, digest),
                        input=data).output

    def clearsign(self, data: bytes, signer: str | None = None,
                  digest: str = "SHA256") -> bytes:
        return self.run("--clearsign", *_signing(signer, digest), input=data).output

    def decrypt(self, data: bytes | str) -> GpgResult:
        return self.run("--decrypt", input=data, check=False)

    def verify_detached(self, signature: bytes, data: bytes) -> GpgResult:
        with tempfile.TemporaryDirectory() as scratch:
            signature_file = Path(scratch, "sig.asc")
            signature_file.write_bytes(signature)
            return self.run("--verify", str(signature_file), "-", input=data, check=False)

    def verify_cleartext(self, data: bytes | str) -> GpgResult:
        return self.run("--verify", input=data, check=False)


def _signing(signer: str | None, digest: str) -> list[str]:
    return [*(["--local-user", signer] if signer else []), "--digest-algo", digest]
