"""The Stateless OpenPGP (SOP) command that reads what the world sends, e.g. ``sqop``.

SOP (draft-dkg-openpgp-stateless-cli) takes keys and certificates as files; we name pipes
instead (``@FD:N``), so the list's secret key never touches the disk. sqop 0.27 exits 3 when
``--verify-with`` finds no acceptable signature and then writes neither plaintext nor session
key, so `SOP.decrypt` asks once more without verification: the plaintext and the session key
(for the diagnosis by gpg, see `mailman_pgp.openpgp.gnupg`) are what the caller needs then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from public import public

from mailman_pgp.openpgp.errors import DecryptionError, MalformedMessage, PlaintextTooLarge
from mailman_pgp.openpgp.process import (
    Completed,
    OutputTooLarge,
    PipeIn,
    PipeOut,
    minimal_env,
    run,
)

# Exit codes of the SOP specification that we act on.
EXIT_NO_SIGNATURE = 3
EXIT_CANNOT_DECRYPT = 29


@dataclass(frozen=True)
class GoodSignature:
    """One signature the SOP command accepted: when, by which key, of which certificate."""

    created: datetime
    signing_fingerprint: str
    primary_fingerprint: str


@dataclass(frozen=True)
class SOPDecrypted:
    plaintext: bytes
    session_key: bytes
    good: tuple[GoodSignature, ...]


@dataclass(frozen=True)
class SOPDetached:
    """What ``inline-detach`` gave: the signed text, and its signatures (armored; empty
    when there were none)."""

    text: bytes
    signatures: bytes


@public
@dataclass(frozen=True)
class SOP:
    """A Stateless OpenPGP command and the limits we run it with.

    ``gpg`` is the GnuPG used to say precisely why a signature is not good (bad, expired,
    revoked, unknown key) when the SOP command only says "no acceptable signature"; ``sq``
    the Sequoia command that takes off an encryption alone (`mailman_pgp.openpgp.one_pass`).
    """

    command: str = "sqop"
    timeout: float = 30.0
    gpg: str = "gpg"
    sq: str = "sq"

    def decrypt(self, message: bytes, key: bytes, certs: Sequence[bytes], *,
                max_plaintext: int | None = None) -> SOPDecrypted:
        """Decrypt with ``key``; ``good`` lists the signatures by ``certs`` that verify.

        With ``max_plaintext``, reading stops (`PlaintextTooLarge`) as soon as the
        plaintext grows past that many bytes.
        """
        if certs:
            done = self._run(
                "decrypt", "--session-key-out", PipeOut(), "--verifications-out", PipeOut(),
                *_with_each("--verify-with", certs), "--", PipeIn(key), stdin=message,
                max_output=max_plaintext)
            if done.returncode == 0:
                return SOPDecrypted(done.stdout, done.outputs[0].strip(),
                                    _good_signatures(done.outputs[1]))
            if done.returncode != EXIT_NO_SIGNATURE:
                raise _decryption_error(done.returncode)
        done = self._run("decrypt", "--session-key-out", PipeOut(), "--", PipeIn(key),
                         stdin=message, max_output=max_plaintext)
        if done.returncode != 0:
            raise _decryption_error(done.returncode)
        return SOPDecrypted(done.stdout, done.outputs[0].strip(), ())

    def verify(self, data: bytes, signature: bytes,
               certs: Sequence[bytes]) -> tuple[GoodSignature, ...]:
        """The signatures in the detached ``signature`` over ``data`` that verify."""
        if not certs:
            return ()
        done = self._run("verify", PipeIn(signature), *map(PipeIn, certs), stdin=data)
        return _good_signatures(done.stdout) if done.returncode == 0 else ()

    def inline_verify(self, data: bytes,
                      certs: Sequence[bytes]) -> tuple[bytes, tuple[GoodSignature, ...]]:
        """The signed text of an inline-signed message and its signatures that verify."""
        if not certs:
            return b"", ()
        done = self._run("inline-verify", "--verifications-out", PipeOut(),
                         *map(PipeIn, certs), stdin=data)
        if done.returncode != 0:
            return b"", ()
        return done.stdout, _good_signatures(done.outputs[0])

    def inline_detach(self, message: bytes, *, max_output: int) -> SOPDetached:
        """The text of the signed OpenPGP ``message`` and its signatures, detached.

        `MalformedMessage` when the command cannot read ``message`` as a signed message;
        `PlaintextTooLarge` as soon as the text grows past ``max_output`` bytes.
        """
        done = self._run("inline-detach", "--signatures-out", PipeOut(), stdin=message,
                         max_output=max_output)
        if done.returncode != 0:
            raise MalformedMessage("The message is not a signed OpenPGP message.")
        return SOPDetached(done.stdout, done.outputs[0])

    def _run(self, *argv: str | PipeIn | PipeOut, stdin: bytes,
             max_output: int | None = None) -> Completed:
        try:
            return run([self.command, *argv], stdin=stdin, timeout=self.timeout,
                       env=minimal_env(), max_output=max_output)
        except OutputTooLarge as error:
            raise PlaintextTooLarge(error.limit) from None


def _with_each(option: str, certs: Sequence[bytes]) -> list[str | PipeIn]:
    return [part for cert in certs for part in (option, PipeIn(cert))]


def _good_signatures(output: bytes) -> tuple[GoodSignature, ...]:
    """Parse SOP VERIFICATIONS lines: ``<ISO-8601 time> <signing fpr> <primary fpr> ...``."""
    found = []
    for line in output.decode("ascii", "replace").splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        try:
            created = datetime.fromisoformat(fields[0].replace("Z", "+00:00"))
        except ValueError:
            continue
        if created.tzinfo is None:
            # SOP times are UTC; one printed without its "Z" must not become a naive
            # time, which cannot be compared with the aware times everywhere else.
            created = created.replace(tzinfo=UTC)
        found.append(GoodSignature(created, fields[1].upper(), fields[2].upper()))
    return tuple(found)


def _decryption_error(returncode: int) -> DecryptionError:
    if returncode == EXIT_CANNOT_DECRYPT:
        return DecryptionError(
            "The message could not be decrypted: it is not encrypted to this list's key,"
            " or it was damaged or tampered with on the way.")
    return DecryptionError(
        "The message could not be decrypted: it is not a readable OpenPGP message.")
