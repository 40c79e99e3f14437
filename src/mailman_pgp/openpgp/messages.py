"""Encrypt, decrypt, sign and verify messages.

What the list makes (``encrypt``, ``sign_detached``) is made in-process with pysequoia:
fast (well under a millisecond per recipient for Curve25519) and readable by GnuPG 2.2 for
keys GnuPG made (pysequoia picks SEIPDv1 for them). pysequoia encrypts to expired or revoked
certificates without complaint, so ``encrypt`` checks the recipient first.

What the world sends (``decrypt``, ``verify_detached``, ``verify_cleartext``) is read by the
SOP command (`SOP`, default ``sqop``), which reads what pysequoia 0.1.35 cannot: GnuPG's
compressed signed-and-encrypted messages, BZip2. Signatures are judged in two steps:

1. Fast path: the SOP command verifies against the certificates given. A signature it
   accepts is ``GOOD`` unless the signer's key (or signing subkey) is expired or revoked
   *now*, which makes it ``EXPIRED_KEY`` or ``REVOKED_KEY``: the signature's creation time
   is chosen by the signer, so a key that is dead today does not vouch for a post today.
2. Diagnosis when no signature is accepted: gpg, in a throwaway home with only the given
   public certificates (`mailman_pgp.openpgp.gnupg`), reports each signature as bad,
   expired key, revoked key or unknown key, or that there is none (``NO_SIGNATURE``). A
   signature gpg accepts but Sequoia's stricter policy refused (SHA-1, weak keys) is
   ``BAD``: ``GOOD`` needs both. Of several signatures, the most alarming status wins.
   If gpg cannot open what the SOP command decrypted, the status is ``BAD`` (a signature
   may be inside); a missing gpg raises `CommandUnavailable`, like a missing SOP command.

Verification never raises for a bad signature: it returns a `Verification` value, so
policies act on it. Unreadable input raises (`DecryptionError`, `MalformedMessage`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pysequoia
from public import public

from mailman_pgp.openpgp.errors import (
    DecryptionError,
    KeyCannotEncrypt,
    KeyCannotSign,
    MalformedMessage,
    PlaintextTooLarge,
    SigningError,
)
from mailman_pgp.openpgp.gnupg import GnuPG, GpgReport, GpgSignature, GpgVerdict
from mailman_pgp.openpgp.keys import Certificate, SecretKey, _to_cert
from mailman_pgp.openpgp.sop import SOP, GoodSignature
from mailman_pgp.openpgp.verification import NOT_SIGNED, SignatureStatus, Verification

_HASH_NAMES = {
    "MD5": "md5", "SHA1": "sha1", "RipeMD": "ripemd160", "SHA224": "sha224",
    "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512",
    "SHA3_256": "sha3-256", "SHA3_512": "sha3-512",
}

DEFAULT_SOP = SOP()

# Which status wins when several signatures are not good: tampering first.
_SEVERITY = [SignatureStatus.BAD, SignatureStatus.REVOKED_KEY, SignatureStatus.EXPIRED_KEY,
             SignatureStatus.UNKNOWN_KEY, SignatureStatus.NO_SIGNATURE]

_SIGNATURE_BEGIN = b"-----BEGIN PGP SIGNATURE-----"
_CLEARTEXT = re.compile(
    rb"\A\s*-----BEGIN PGP SIGNED MESSAGE-----\r?\n.*?"
    rb"^-----END PGP SIGNATURE-----[ \t]*(\r?\n)?\s*\Z",
    re.DOTALL | re.MULTILINE)


@public
@dataclass(frozen=True)
class Decrypted:
    """A decrypted message; ``verification`` is ``NO_SIGNATURE`` if it was not signed."""

    plaintext: bytes
    verification: Verification


@public
@dataclass(frozen=True)
class DetachedSignature:
    """An ASCII-armored detached signature and the hash it really uses."""

    armor: bytes
    # Lower-case hash name as RFC 3156 wants it after "pgp-" in micalg, e.g. "sha512".
    hash_algorithm: str


@public
@dataclass(frozen=True)
class CleartextVerified:
    """The signed text of a cleartext-signed message (dash-escaping removed) and its check."""

    text: bytes
    verification: Verification


@public
def encrypt(data: bytes, recipient: Certificate, *, signer: SecretKey | None = None) -> bytes:
    """``data`` encrypted to ``recipient`` (and signed by ``signer``), ASCII-armored.

    Refuses (`KeyUnusable`) a recipient that is expired, revoked or cannot encrypt.
    """
    recipient.check_usable(sign=False)
    cert = _to_cert(recipient)
    signing = None
    if signer is not None:
        try:
            signing = signer._signer()
        except RuntimeError as error:
            raise KeyCannotSign(f"The key {signer.fingerprint} cannot sign.") from error
    try:
        return pysequoia.encrypt(bytes(data), [cert], signer=signing, armor=True)
    except RuntimeError as error:
        raise KeyCannotEncrypt(
            f"The key {recipient.fingerprint} has no valid key for encryption,"
            " so nobody can encrypt mail to it.") from error


@public
def encrypt_to_all(data: bytes, recipients: Sequence[Certificate]) -> bytes:
    """``data`` encrypted once so that each of ``recipients`` can decrypt it, ASCII-armored.

    For what the list keeps rather than sends (a digest, an archive copy): one ciphertext
    for the list key and any archive keys. Refuses (`KeyUnusable`) an unusable recipient.
    """
    if not recipients:
        raise ValueError("encrypt_to_all() needs at least one recipient")
    for recipient in recipients:
        recipient.check_usable(sign=False)
    try:
        return pysequoia.encrypt(bytes(data), [_to_cert(r) for r in recipients], armor=True)
    except RuntimeError as error:
        fingerprints = ", ".join(r.fingerprint for r in recipients)
        raise KeyCannotEncrypt(
            f"One of the keys {fingerprints} has no valid key for encryption.") from error


@public
def decrypt(data: bytes, key: SecretKey, *, verify_with: Sequence[Certificate] = (),
            sop: SOP = DEFAULT_SOP, max_plaintext: int | None = None) -> Decrypted:
    """Decrypt what a client sent to the list, and judge its signature against ``verify_with``.

    Reads what clients send: compressed (ZIP, ZLIB, BZip2) or not, signed-then-encrypted.

    The secret key reaches the SOP command through a pipe. Raises `DecryptionError` when the
    message is not for ``key``, tampered with or not OpenPGP; `PlaintextTooLarge` as soon as
    the plaintext grows past ``max_plaintext`` bytes; `CommandUnavailable` when the command is
    missing, and its `CommandTimedOut` when it does not answer in time.
    """
    certs = [c.armor.encode("ascii") for c in verify_with]
    result = sop.decrypt(bytes(data), key._secret(), certs, max_plaintext=max_plaintext)
    if result.good:
        return Decrypted(result.plaintext, _judge_accepted(result.good, verify_with))
    report = _gnupg(sop).check_encrypted(bytes(data), result.session_key, certs)
    return Decrypted(result.plaintext, _judge_report(report, verify_with))


@public
def decrypt_content(data: bytes, key: SecretKey, *, sop: SOP = DEFAULT_SOP,
                    max_plaintext: int | None = None) -> bytes:
    """The plaintext of what a client sent to the list, its signatures not judged.

    For a post whose signature was judged when it arrived: one run of the SOP command,
    where `decrypt` may also run gpg to say why a signature is not good. Raises as
    `decrypt` does.
    """
    return sop.decrypt(bytes(data), key._secret(), (), max_plaintext=max_plaintext).plaintext


@public
def decrypt_own(data: bytes, key: SecretKey, *, max_plaintext: int | None = None) -> bytes:
    """The plaintext of what the list encrypted to its own ``key`` (`encrypt_to_all`), in process.

    For what the list keeps sealed (a digest in a queue), never for what the world sends:
    no signature, and pysequoia hands over the whole plaintext, so ``max_plaintext`` is
    checked only afterwards (`PlaintextTooLarge`). pysequoia reads what it wrote, where the
    SOP command may not (sqop 0.27 cannot read SEIPDv2, which pysequoia makes for its own
    keys). Raises `DecryptionError` when ``key`` cannot open ``data``.
    """
    try:
        plaintext = pysequoia.decrypt(bytes(data), decryptor=key._decryptor()).bytes
    except RuntimeError as error:
        raise DecryptionError(
            "The message could not be decrypted with the list's key.") from error
    if plaintext is None:
        raise DecryptionError("The message decrypted to nothing.")
    if max_plaintext is not None and len(plaintext) > max_plaintext:
        raise PlaintextTooLarge(max_plaintext)
    return bytes(plaintext)


@public
def sign_detached(data: bytes, key: SecretKey) -> DetachedSignature:
    """A detached signature over ``data`` exactly as given (RFC 3156 passes CRLF bytes)."""
    try:
        armor = pysequoia.sign(key._signer(), bytes(data),
                               mode=pysequoia.SignatureMode.DETACHED, armor=True)
        hash_algorithm = pysequoia.Sig.from_bytes(armor).hash_algorithm
    except RuntimeError as error:
        raise SigningError(f"The key {key.fingerprint} could not sign.") from error
    return DetachedSignature(armor, hash_name(hash_algorithm))


def hash_name(hash_algorithm: object) -> str:
    """The RFC 3156 name (after "pgp-" in micalg) of one of pysequoia's hash algorithms."""
    name = repr(hash_algorithm).rpartition(".")[2]
    return _HASH_NAMES.get(name, name.lower())


@public
def verify_detached(data: bytes, signature: bytes, certs: Sequence[Certificate], *,
                    sop: SOP = DEFAULT_SOP) -> Verification:
    """Judge a detached ``signature`` over ``data``; an unreadable signature is ``BAD``."""
    armors = [c.armor.encode("ascii") for c in certs]
    good = sop.verify(bytes(data), bytes(signature), armors)
    if good:
        return _judge_accepted(good, certs)
    report = _gnupg(sop).check_detached(bytes(data), bytes(signature), armors)
    if not report.signatures:
        # A signature part that holds no readable signature fails closed.
        return Verification(SignatureStatus.BAD)
    return _judge_report(report, certs)


@public
def cleartext_text(data: bytes) -> bytes:
    """The text of a cleartext-signed message, its signature not checked.

    What verifiers (sqop, gpg) give for it, without running one: the lines between the
    armor headers and the signature, dash-escaping removed and trailing blanks dropped
    (RFC 4880 7.1), each with its own line ending. For a message whose signature was
    judged before. `MalformedMessage` for anything that is not cleartext-signed.
    """
    data = bytes(data)
    if not _CLEARTEXT.match(data):
        raise MalformedMessage(
            "This is not a cleartext-signed OpenPGP message, or it carries text outside"
            " the signed block.")
    lines = data.lstrip().splitlines(keepends=True)
    # After the BEGIN line come the armor headers ("Hash: ..."), then an empty line.
    blank = next((index for index, line in enumerate(lines[1:], 1) if not line.strip()), None)
    if blank is None:
        raise MalformedMessage("The cleartext-signed message has no empty line after its"
                               " armor headers.")
    text = []
    for line in lines[blank + 1:]:
        if line.rstrip() == _SIGNATURE_BEGIN:
            break
        body = line.rstrip(b"\r\n")
        ending = line[len(body):]
        if body.startswith(b"- "):
            body = body[2:]
        text.append(body.rstrip(b" \t") + ending)
    else:
        # Verifiers find the signature after a damaged BEGIN line too; the text must not
        # take in that line and what follows it, which the signature does not cover.
        raise MalformedMessage("The cleartext-signed message has no intact"
                               " -----BEGIN PGP SIGNATURE----- line.")
    return b"".join(text)


@public
def verify_cleartext(data: bytes, certs: Sequence[Certificate], *,
                     sop: SOP = DEFAULT_SOP) -> CleartextVerified:
    """Judge a cleartext-signed message (``-----BEGIN PGP SIGNED MESSAGE-----``).

    ``text`` is the signed text with dash-escaping removed, as `cleartext_text` reads it.
    Raises `MalformedMessage` for anything else, including text outside the signed block
    (it would not be covered) and a message whose good signature covers another text than
    that.
    """
    data = bytes(data)
    text = cleartext_text(data)
    armors = [c.armor.encode("ascii") for c in certs]
    verified, good = sop.inline_verify(data, armors)
    if good:
        if verified != text:
            # What the list reads later (`cleartext_text`) must be what was verified.
            raise MalformedMessage(
                "The text of this cleartext-signed message can be read in two ways, and"
                " its signature covers only one of them.")
        return CleartextVerified(text, _judge_accepted(good, certs))
    report = _gnupg(sop).check_cleartext(data, armors)
    if report.no_data or not report.signatures:
        raise MalformedMessage("The signature block of this cleartext-signed message is"
                               " damaged and cannot be read.")
    return CleartextVerified(report.text, _judge_report(report, certs))


def _gnupg(sop: SOP) -> GnuPG:
    return GnuPG(sop.gpg, sop.timeout)


def _judge_accepted(good: Sequence[GoodSignature],
                    certs: Sequence[Certificate]) -> Verification:
    """GOOD for the first accepted signature whose key is alive now, else why not."""
    now = datetime.now(UTC)
    verdicts = []
    for signature in good:
        cert = _find(certs, signature.primary_fingerprint)
        part = cert.key_part(signature.signing_fingerprint) if cert else None
        if cert is None:
            status = SignatureStatus.UNKNOWN_KEY
        elif cert.revoked or part is not None and part.revoked:
            status = SignatureStatus.REVOKED_KEY
        elif (cert.expires is not None and cert.expires <= now
              or part is not None and not part.alive(now)):
            status = SignatureStatus.EXPIRED_KEY
        else:
            status = SignatureStatus.GOOD
        verdicts.append(Verification(
            status, cert.fingerprint if cert else None, signature.created,
            signature.signing_fingerprint))
    return _worst(verdicts)


def _judge_report(report: GpgReport, certs: Sequence[Certificate]) -> Verification:
    if not report.signatures:
        # If gpg could not look inside, a signature may be there: fail closed.
        return Verification(SignatureStatus.BAD) if report.unreadable else NOT_SIGNED
    return _worst([_from_gpg(s, certs) for s in report.signatures])


def _from_gpg(signature: GpgSignature, certs: Sequence[Certificate]) -> Verification:
    statuses: dict[GpgVerdict | None, SignatureStatus] = {
        GpgVerdict.EXPIRED_KEY: SignatureStatus.EXPIRED_KEY,
        GpgVerdict.REVOKED_KEY: SignatureStatus.REVOKED_KEY,
        GpgVerdict.NO_PUBLIC_KEY: SignatureStatus.UNKNOWN_KEY,
    }
    status = statuses.get(signature.verdict, SignatureStatus.BAD)
    cert = _find(certs, signature.primary_fingerprint) if signature.primary_fingerprint \
        else _owner(certs, signature.issuer)
    if cert is None and status is not SignatureStatus.UNKNOWN_KEY:
        cert = _owner(certs, signature.issuer)
    return Verification(status, cert.fingerprint if cert else None, signature.created,
                        signature.issuer)


def _worst(verdicts: Sequence[Verification]) -> Verification:
    """The first GOOD verdict, else the most alarming one."""
    for verdict in verdicts:
        if verdict.is_good:
            return verdict
    return min(verdicts, key=lambda v: _SEVERITY.index(v.status), default=NOT_SIGNED)


def _find(certs: Sequence[Certificate], fingerprint: str) -> Certificate | None:
    return next((c for c in certs if c.fingerprint == fingerprint.upper()), None)


def _owner(certs: Sequence[Certificate], issuer: str | None) -> Certificate | None:
    """The certificate holding the key named by a fingerprint or a key ID."""
    if not issuer:
        return None
    return next((c for c in certs if c.key_part(issuer) is not None), None)
