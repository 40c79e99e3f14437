"""Why a signature is not good, asked of GnuPG in a throwaway home holding public certs only.

The SOP command says only "no acceptable signature"; policies need to know whether the
message was unsigned, tampered with, or signed by an expired, revoked or unknown key. gpg's
``--status-fd`` says exactly that. It runs in a fresh temporary GNUPGHOME that holds only
the certificates we were given (never the list's secret key: an encrypted message is opened
with ``--override-session-key-fd``, the session key coming through a pipe), with
``--no-autostart`` so no agent is left behind, and with an explicit environment.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from mailman_pgp.openpgp.errors import CommandUnavailable
from mailman_pgp.openpgp.process import PipeIn, PipeOut, minimal_env, run

_STATUS_PREFIX = "[GNUPG:] "
# ERRSIG's return code for "no public key".
_NO_PUBKEY = "9"


class GpgVerdict(Enum):
    GOOD = "GOODSIG"
    BAD = "BADSIG"
    EXPIRED_SIGNATURE = "EXPSIG"
    EXPIRED_KEY = "EXPKEYSIG"
    REVOKED_KEY = "REVKEYSIG"
    # ERRSIG splits into these two: the key is missing, or another error.
    NO_PUBLIC_KEY = "ERRSIG/NO_PUBKEY"
    ERROR = "ERRSIG"


_VERDICTS = {"GOODSIG", "BADSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG", "ERRSIG"}


@dataclass
class GpgSignature:
    """What gpg reported about one signature."""

    verdict: GpgVerdict | None = None
    issuer: str | None = None
    primary_fingerprint: str | None = None
    created: datetime | None = None


@dataclass
class GpgReport:
    signatures: list[GpgSignature] = field(default_factory=list)
    # gpg found no OpenPGP data at all.
    no_data: bool = False
    # gpg could not open the encrypted data (e.g. a format GnuPG 2.2 does not read), so
    # whether it is signed is unknown.
    unreadable: bool = False
    text: bytes = b""


@dataclass(frozen=True)
class GnuPG:
    """A gpg executable run with a timeout in throwaway homes."""

    command: str = "gpg"
    timeout: float = 30.0

    def check_encrypted(self, message: bytes, session_key: bytes,
                        certs: Sequence[bytes]) -> GpgReport:
        """The signatures inside an encrypted ``message``, opened with its session key."""
        return self._check(certs, "--override-session-key-fd", PipeIn(session_key, "{}"),
                           "--output", "/dev/null", "--decrypt", stdin=message)

    def check_detached(self, data: bytes, signature: bytes,
                       certs: Sequence[bytes]) -> GpgReport:
        return self._check(certs, "--enable-special-filenames", "--verify", "--",
                           PipeIn(signature, "-&{}"), "-", stdin=data)

    def check_cleartext(self, data: bytes, certs: Sequence[bytes]) -> GpgReport:
        """The signatures of a cleartext-signed message, and its text."""
        return self._check(certs, "--output", "-", "--decrypt", stdin=data, want_text=True)

    def _check(self, certs: Sequence[bytes], *argv: str | PipeIn, stdin: bytes,
               want_text: bool = False) -> GpgReport:
        with tempfile.TemporaryDirectory(prefix="mailman-pgp-gpg-") as home:
            common = [self.command, "--homedir", home, "--batch", "--no-tty",
                      "--no-autostart", "--no-options", "--no-auto-key-retrieve",
                      "--trust-model", "always"]
            env = minimal_env(GNUPGHOME=home, HOME=home)
            if certs:
                imported = run([*common, "--import"], stdin=b"".join(certs),
                               timeout=self.timeout, env=env)
                if imported.returncode != 0:
                    raise CommandUnavailable("gpg could not read the certificates to check"
                                         " a signature against.")
            done = run([*common, "--status-fd", PipeOut("{}"), *argv], stdin=stdin,
                       timeout=self.timeout, env=env)
        report = parse_status(done.outputs[0])
        if want_text:
            report.text = done.stdout
        return report


def parse_status(status: bytes) -> GpgReport:
    """The signatures (and NODATA) of gpg's ``--status-fd`` output."""
    report = GpgReport()
    current: GpgSignature | None = None
    for line in status.decode("utf-8", "replace").splitlines():
        fields = line[len(_STATUS_PREFIX):].split()
        if not line.startswith(_STATUS_PREFIX) or not fields:
            continue
        keyword, *args = fields
        if keyword == "NODATA":
            report.no_data = True
        elif keyword == "DECRYPTION_FAILED":
            report.unreadable = True
        elif keyword == "NEWSIG":
            current = GpgSignature()
            report.signatures.append(current)
        elif keyword in _VERDICTS:
            if current is None or current.verdict is not None:
                current = GpgSignature()
                report.signatures.append(current)
            if keyword == "ERRSIG":
                _errsig(current, args)
            else:
                current.verdict = GpgVerdict(keyword)
                current.issuer = args[0].upper() if args else None
        elif keyword == "VALIDSIG" and current is not None and len(args) >= 3:
            current.created = _timestamp(args[2])
            current.primary_fingerprint = args[-1].upper() if len(args) >= 10 else None
    return report


def _errsig(signature: GpgSignature, args: list[str]) -> None:
    # ERRSIG <keyid> <pkalgo> <hashalgo> <sig_class> <time> <rc> [<fpr>]
    no_key = len(args) >= 6 and args[5] == _NO_PUBKEY
    signature.verdict = GpgVerdict.NO_PUBLIC_KEY if no_key else GpgVerdict.ERROR
    if len(args) >= 7 and args[6] != "-":
        signature.issuer = args[6].upper()
    elif args:
        signature.issuer = args[0].upper()
    if len(args) >= 5:
        signature.created = _timestamp(args[4])


def _timestamp(value: str) -> datetime | None:
    """gpg's time: seconds since the epoch or ISO 8601 basic (``20261124T011244``).

    None for anything else, a time beyond the year 9999 included.
    """
    try:
        if "T" in value:
            return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        seconds = int(value)
        return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None
    except (ValueError, OverflowError, OSError):
        return None
