"""A subscriber's mail client for tests: real GnuPG in a throwaway home, and posts made like
Thunderbird and gpg users make them. Independent of the plugin's own MIME and OpenPGP code,
so what it checks is checked from outside.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText
from pathlib import Path

GPG = shutil.which("gpg") or "gpg"
BOUNDARY = "------------enc0a1b2c3d4e5f6"


@dataclass(frozen=True)
class GpgResult:
    output: bytes
    status: list[str]

    def has(self, keyword: str, argument: str = "") -> bool:
        """True when a status line says ``keyword`` (followed by ``argument``, if given)."""
        prefix = f"[GNUPG:] {keyword}"
        return any(
            line.startswith(prefix)
            and (not argument or line[len(prefix):].split()[:1] == [argument])
            for line in self.status
        )


class GnuPGClient:
    """gpg with its own GNUPGHOME; `close` stops its agent and removes the home."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="gpg-"))
        os.chmod(self.home, 0o700)

    def close(self) -> None:
        subprocess.run(
            ["gpgconf", "--homedir", str(self.home), "--kill", "all"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.home, ignore_errors=True)

    def gpg(self, *args: str, data: bytes | None = None, check: bool = True) -> GpgResult:
        status_r, status_w = os.pipe()
        env = {"GNUPGHOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "LC_ALL": "C"}
        command = [GPG, "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback",
                   "--passphrase", "", "--trust-model", "always", "--status-fd", str(status_w),
                   *args]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, pass_fds=(status_w,)) as process:
            os.close(status_w)
            with os.fdopen(status_r, "rb") as status_file:
                # Small inputs and outputs: communicate() cannot deadlock on the status pipe
                # because gpg writes it in small lines we read after.
                output, errors = process.communicate(data)
                status = status_file.read().decode("utf-8", "replace").splitlines()
        if check and process.returncode != 0:
            raise RuntimeError(f"gpg {' '.join(args)} failed: {errors.decode(errors='replace')}")
        return GpgResult(output, status)

    def generate(self, user_id: str, algorithm: str = "future-default", *,
                 expire: str = "never", made_at: str | None = None) -> str:
        """Make a key pair without passphrase; return its fingerprint.

        ``made_at`` (e.g. ``20200101T000000``) back-dates it, so that with ``expire``
        ("1y") the key is expired today, for real.
        """
        faked = ["--faked-system-time", f"{made_at}!"] if made_at else []
        self.gpg(*faked, "--quick-generate-key", user_id, algorithm, "default", expire)
        return self.fingerprint(user_id)

    def revoke(self, fingerprint: str) -> None:
        """Revoke the key with the revocation certificate gpg made with it."""
        certificate = (self.home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
        self.import_key(certificate.replace(":-----BEGIN", "-----BEGIN"))

    def fingerprint(self, user_id: str) -> str:
        listing = self.gpg("--with-colons", "--list-keys", user_id).output.decode()
        return re.search(r"^fpr:+([0-9A-F]{40,64}):", listing, re.M).group(1)

    def import_key(self, armor: str | bytes) -> None:
        self.gpg("--import", data=armor.encode() if isinstance(armor, str) else armor)

    def export(self, user_id: str) -> str:
        return self.gpg("--armor", "--export", user_id).output.decode()

    def sign_encrypt(self, data: bytes, recipient: str, signer: str | None) -> bytes:
        """``gpg --sign --encrypt --armor`` with gpg's defaults (compression included)."""
        signing = ["--sign", "--local-user", signer] if signer else []
        return self.gpg("--armor", "--encrypt", "--recipient", recipient, *signing,
                        data=data).output

    def sign_detached(self, data: bytes, signer: str) -> bytes:
        return self.gpg("--armor", "--detach-sign", "--local-user", signer, data=data).output

    def clearsign(self, data: bytes, signer: str) -> bytes:
        return self.gpg("--clearsign", "--local-user", signer, data=data).output

    def decrypt(self, data: bytes) -> GpgResult:
        return self.gpg("--decrypt", data=data, check=False)

    def verify_detached(self, signature: bytes, data: bytes) -> GpgResult:
        with tempfile.TemporaryDirectory() as scratch:
            signature_file = Path(scratch, "sig.asc")
            data_file = Path(scratch, "data")
            signature_file.write_bytes(signature)
            data_file.write_bytes(data)
            return self.gpg("--verify", str(signature_file), str(data_file), check=False)


def text_body(text: str) -> bytes:
    """A text/plain UTF-8 quoted-printable entity with CRLF line ends, as Thunderbird makes."""
    charset = Charset("utf-8")
    charset.body_encoding = QP
    entity = MIMEText(text, "plain", charset)
    return entity.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def headers_text(headers: dict[str, str]) -> str:
    """Header lines, non-ASCII values RFC 2047 encoded as a mail client does."""
    return "".join(
        f"{name}: {value if value.isascii() else Header(value, 'utf-8').encode()}\n"
        for name, value in headers.items()
    )


def pgp_mime_message(armor: bytes, headers: dict[str, str]) -> bytes:
    """A ``multipart/encrypted`` message around ``armor``, laid out as Thunderbird does."""
    return (
        headers_text(headers)
        + "MIME-Version: 1.0\n"
        + 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n'
        + f' boundary="{BOUNDARY}"\n\n'
        + "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
        + f"--{BOUNDARY}\n"
        + "Content-Type: application/pgp-encrypted\n"
        + "Content-Description: PGP/MIME version identification\n\n"
        + "Version: 1\n\n"
        + f"--{BOUNDARY}\n"
        + 'Content-Type: application/octet-stream; name="encrypted.asc"\n'
        + "Content-Description: OpenPGP encrypted message\n"
        + 'Content-Disposition: inline; filename="encrypted.asc"\n\n'
        + armor.decode("ascii")
        + f"\n--{BOUNDARY}--\n"
    ).encode("ascii")


def pgp_mime_signed_entity(content: bytes, signature: bytes) -> bytes:
    """A ``multipart/signed`` entity over ``content`` (CRLF, canonical) with ``signature``."""
    boundary = "------------sig9f8e7d6c5b4a"
    return (
        'Content-Type: multipart/signed; micalg=pgp-sha256;\r\n'
        f' protocol="application/pgp-signature"; boundary="{boundary}"\r\n\r\n'
        "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
        f"--{boundary}\r\n"
    ).encode() + content + (
        f"\r\n--{boundary}\r\n"
        'Content-Type: application/pgp-signature; name="OpenPGP_signature.asc"\r\n'
        "Content-Description: OpenPGP digital signature\r\n"
        'Content-Disposition: attachment; filename="OpenPGP_signature.asc"\r\n\r\n'
    ).encode() + signature.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + (
        f"\r\n--{boundary}--\r\n"
    ).encode()


def inline_message(armor: bytes, headers: dict[str, str]) -> bytes:
    """A plain-text message whose body is an armored block, as inline-PGP users send."""
    return (
        headers_text(headers)
        + "MIME-Version: 1.0\n"
        + "Content-Type: text/plain; charset=us-ascii\n"
        + "Content-Transfer-Encoding: 7bit\n\n"
    ).encode("ascii") + armor.replace(b"\r\n", b"\n")


def split_signed_raw(entity: bytes) -> tuple[bytes, bytes]:
    """The signed bytes and the signature of a ``multipart/signed`` entity, by RFC 3156 alone.

    The signed part is everything between the first boundary line and the CRLF before
    the next one; line ends are made CRLF first, as the signer did.
    """
    entity = entity.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    header_end = entity.index(b"\r\n\r\n")
    unfolded = entity[:header_end].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    boundary = re.search(rb'boundary="?([^";\r\n]+)"?', unfolded, re.I).group(1)
    delimiter = b"\r\n--" + boundary
    first = entity.index(b"--" + boundary + b"\r\n") + len(boundary) + 4
    second = entity.index(delimiter, first)
    signed = entity[first:second]
    rest = entity[second + len(delimiter):]
    signature_part = rest[2:rest.index(delimiter)]
    signature = signature_part[signature_part.index(b"\r\n\r\n") + 4:]
    return signed, signature
