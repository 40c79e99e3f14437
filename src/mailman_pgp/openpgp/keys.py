"""OpenPGP keys: the list's key pair and the subscribers' certificates, parsed and checked.

Keys are handled in-process with pysequoia. ``parse_certificate`` is the gate for keys that
people send us: it accepts exactly one public certificate that is usable now for signing and
encryption (and, if asked, carries a given address), and says precisely why otherwise.
``load_certificate`` reads a certificate we already hold without judging it, and
``Certificate.update`` brings it up to date (a revocation, a new expiry) without judging the
result either: a revoked key is the truth about that key.

A key counts as revoked only by a revocation it made itself and Sequoia verified. pysequoia's
``Cert.is_revoked`` also says yes when a certificate merely carries a revocation that names
another key as its issuer, which Sequoia leaves unverified (it might come from a designated
revoker): anyone can make one, so such revocations are left out (``_revoked``).

The list's own key (``generate_key``) is a version 4 key (RFC 4880 profile) so that GnuPG 2.2
imports it and encrypts to it: by default an Ed25519 primary key (certification) with an
Ed25519 signing subkey and a Cv25519 encryption subkey (pysequoia always makes a separate
signing subkey); RSA-3072 or RSA-4096 on request (slow to generate: seconds).

At rest the secret key is protected (``SecretKey.protect``) by OpenPGP password encryption as
pysequoia makes it: the transferable secret key encrypted with AES-256 under a key derived by
the iterated and salted S2K (SHA-256, the maximum count of 65011712 bytes, ~45 ms), integrity
protected, so a wrong passphrase is detected. pysequoia 0.1.35 cannot encrypt the secret key
packets themselves, and this form is standard: ``gpg --decrypt`` opens it for recovery.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

import pysequoia
from public import public
from pysequoia.packet import Packet, PacketPile, SignatureType, Tag

from mailman_pgp.openpgp.errors import (
    KeyCannotEncrypt,
    KeyCannotSign,
    KeyExpired,
    KeyParseError,
    KeyRevoked,
    NotAnUpdate,
    NotASingleCertificate,
    RevocationGiven,
    RevocationRefused,
    SecretKeyGiven,
    UserIDMismatch,
)


@public
class KeyAlgorithm(Enum):
    """Algorithms the list's key can be generated with."""

    CV25519 = "cv25519"
    RSA3072 = "rsa3072"
    RSA4096 = "rsa4096"


_CIPHER_SUITES = {
    KeyAlgorithm.CV25519: pysequoia.CipherSuite.Cv25519,
    KeyAlgorithm.RSA3072: pysequoia.CipherSuite.RSA3k,
    KeyAlgorithm.RSA4096: pysequoia.CipherSuite.RSA4k,
}

_BINDINGS = (SignatureType.SubkeyBinding,)
_SELF_SIGNATURES = (
    SignatureType.DirectKey,
    SignatureType.GenericCertification,
    SignatureType.PersonaCertification,
    SignatureType.CasualCertification,
    SignatureType.PositiveCertification,
)


@public
@dataclass(frozen=True)
class KeyPart:
    """One key of a certificate (the primary key or a subkey) and what it may do.

    Read from the self-signatures as pysequoia hands them over; the signatures themselves
    are checked by Sequoia when the key is used (encryption, verification).
    """

    fingerprint: str
    key_id: str
    # pysequoia's name of the public key algorithm, e.g. "EdDSA", "ECDH", "RSAEncryptSign".
    algorithm: str
    created: datetime
    expires: datetime | None
    revoked: bool
    can_sign: bool
    can_encrypt: bool

    def alive(self, at: datetime) -> bool:
        return not self.revoked and self.created <= at and (
            self.expires is None or at < self.expires)


@public
@dataclass(frozen=True)
class Certificate:
    """A public key, parsed.

    ``fingerprint`` is the primary key's, 40 (or 64) uppercase hex digits; ``emails`` are the
    lower-cased addresses of the valid user IDs; ``expires`` is None for a key that does not
    expire; ``armor`` is the ASCII-armored public certificate. ``revoked`` and ``keys`` (the
    primary key and subkeys) are what `check_usable` judges.
    """

    fingerprint: str
    user_ids: tuple[str, ...]
    emails: frozenset[str]
    expires: datetime | None
    armor: str
    revoked: bool = False
    keys: tuple[KeyPart, ...] = field(default=(), repr=False)
    # Sequoia's parsed form, kept so that encrypting to this key (once per recipient of
    # every post) does not parse its armor again: that parse costs as much as the
    # encryption of a 10 KB post.
    _parsed: pysequoia.Cert | None = field(default=None, repr=False, compare=False)

    def check_usable(self, *, at: datetime | None = None, sign: bool = True) -> None:
        """Raise `KeyUnusable` (the precise subclass) unless the key can sign and encrypt.

        With ``sign=False`` only encryption is required (what encrypting to it needs).
        """
        at = at or datetime.now(UTC)
        if self.revoked:
            raise KeyRevoked(f"The key {self.fingerprint} has been revoked by its owner.")
        if self.expires is not None and self.expires <= at:
            raise KeyExpired(
                f"The key {self.fingerprint} expired on {self.expires:%Y-%m-%d}.")
        if not any(k.can_encrypt and k.alive(at) for k in self.keys):
            raise KeyCannotEncrypt(
                f"The key {self.fingerprint} has no valid key for encryption,"
                " so nobody can encrypt mail to it.")
        if sign and not any(k.can_sign and k.alive(at) for k in self.keys):
            raise KeyCannotSign(
                f"The key {self.fingerprint} has no valid key for signing,"
                " so it cannot sign mail.")

    def merge(self, other: Certificate) -> Certificate:
        """This certificate updated with ``other`` (same key): new signatures, revocations."""
        if other.fingerprint != self.fingerprint:
            raise NotAnUpdate(
                f"The key {other.fingerprint} is not an update of the key {self.fingerprint}.")
        merged = _to_cert(self).merge(_to_cert(other))
        return _certificate(merged)

    def update(self, data: bytes | str) -> Certificate:
        """This certificate updated with ``data``; the result is not judged.

        ``data`` is either this key as its owner exports it now, carrying a revocation, a new
        expiry, new subkeys or user IDs (merged as by `merge`), or a bare revocation
        certificate for it as GnuPG makes it: ``gpg --gen-revoke``, or the file GnuPG keeps
        in ``openpgp-revocs.d`` once the ':' that guards its armor line is removed. The
        result may be revoked or expired: it is the truth about the key.

        Raises `NotAnUpdate` when ``data`` is one certificate of another key (a replacement,
        for `parse_certificate` to judge), `RevocationRefused` for a revocation that this key
        did not make or that does not verify, `SecretKeyGiven`, `NotASingleCertificate` or
        `KeyParseError` for anything else.
        """
        signatures = _signatures_only(_as_bytes(data))
        if signatures is not None:
            return self._with_revocation(signatures)
        return self.merge(_certificate(_one_public_cert(data)))

    def _with_revocation(self, signatures: list[Packet]) -> Certificate:
        """This certificate with a bare revocation signature attached, if Sequoia verifies it.

        A revocation certificate is one signature packet over the primary key. Placed
        after that key's packet it makes a certificate of its own, which Sequoia
        canonicalizes: a revocation naming this key as its issuer is kept only if it
        verifies with this key, else it is set aside and the key is not revoked. Only then
        is it merged into this certificate, so a forged one leaves nothing behind.
        """
        if len(signatures) != 1 or signatures[0].signature_type != SignatureType.KeyRevocation:
            raise KeyParseError(
                "What you sent is an OpenPGP signature, but not the revocation certificate of"
                " a key; please send a revocation certificate or the whole public key.")
        [signature] = signatures
        primary = _packets(_to_cert(self))[0]
        issuer = (signature.issuer_fingerprint or signature.issuer_key_id or "").upper()
        if issuer not in (self.fingerprint, _key_id(primary)):
            raise RevocationRefused(
                f"This revocation certificate was made by the key {issuer or '(not named)'},"
                f" not by the key {self.fingerprint}; a key can only be revoked by itself.")
        try:
            revocation = pysequoia.Cert.from_packets([primary, signature])
        except RuntimeError as error:
            raise KeyParseError("This revocation certificate cannot be read.") from error
        if not _revoked(revocation, [primary, signature]):
            raise RevocationRefused(
                f"This revocation certificate does not verify with the key {self.fingerprint}:"
                " it is damaged, or it was not made with that key.")
        return _certificate(_to_cert(self).merge(revocation))

    def key_part(self, fingerprint_or_key_id: str) -> KeyPart | None:
        """The primary key or subkey with this fingerprint or key ID, if it is ours."""
        wanted = fingerprint_or_key_id.upper()
        for key in self.keys:
            if wanted in (key.fingerprint, key.key_id):
                return key
        return None

    def encryption_probe(self) -> None:
        """Raise `KeyCannotEncrypt` unless Sequoia finds a valid encryption key (checks the
        binding signatures cryptographically, which the packet reading above does not)."""
        try:
            pysequoia.encrypt(b"", [_to_cert(self)], armor=False)
        except RuntimeError as error:
            raise KeyCannotEncrypt(
                f"The key {self.fingerprint} has no valid key for encryption,"
                " so nobody can encrypt mail to it.") from error


@public
class SecretKey:
    """The list's key pair: ``fingerprint``, ``certificate`` (its public half) and the secret.

    The secret stays in memory; it leaves only encrypted (`protect`) or through a pipe to the
    SOP command. ``repr`` shows no secret.
    """

    def __init__(self, tsk: pysequoia.Tsk) -> None:
        self._tsk = tsk
        self.certificate = _certificate(tsk.extract_certificate())
        self.fingerprint = self.certificate.fingerprint

    def __repr__(self) -> str:
        return f"<SecretKey {self.fingerprint}>"

    def protect(self, passphrase: str) -> bytes:
        """The secret key encrypted with ``passphrase`` (ASCII armor), for storage."""
        if not passphrase:
            raise ValueError("A passphrase is required to protect a secret key.")
        return pysequoia.encrypt(bytes(self._tsk), passwords=[passphrase], armor=True)

    @classmethod
    def unprotect(cls, data: bytes, passphrase: str) -> SecretKey:
        """Open what `protect` made; a wrong passphrase or damaged data: `KeyParseError`."""
        try:
            plain = pysequoia.decrypt(bytes(data), passwords=[passphrase]).bytes
        except RuntimeError as error:
            raise KeyParseError(
                "The stored secret key cannot be opened: wrong passphrase or damaged"
                " data.") from error
        if plain is None:
            # pysequoia gives no bytes only when it decrypts to a file, not here.
            raise KeyParseError("The stored secret key cannot be opened: no data came out.")
        return load_secret_key(plain)

    def _secret(self) -> bytes:
        """The unprotected transferable secret key (binary), for the SOP command's pipe."""
        return bytes(self._tsk)

    def _signer(self) -> pysequoia.PySigner:
        return self._tsk.signer()

    def _decryptor(self) -> pysequoia.PyDecryptor:
        return self._tsk.decryptor()

    def _cert(self) -> pysequoia.Cert:
        return self._tsk.extract_certificate()


@public
def generate_key(user_id: str, algorithm: KeyAlgorithm = KeyAlgorithm.CV25519) -> SecretKey:
    """A new key pair for a list, without expiry, usable by GnuPG 2.2."""
    tsk = pysequoia.Tsk.generate(
        user_id, profile=pysequoia.Profile.RFC4880, cipher_suite=_CIPHER_SUITES[algorithm])
    return SecretKey(tsk)


@public
def load_secret_key(data: bytes | str) -> SecretKey:
    """An unprotected secret key (binary or armored), e.g. one imported from GnuPG."""
    try:
        tsk = pysequoia.Tsk.from_bytes(_as_bytes(data))
    except RuntimeError as error:
        raise KeyParseError("This is not a readable OpenPGP secret key.") from error
    if not _has_secret(tsk):
        raise KeyParseError("This OpenPGP key holds no secret key material.")
    return SecretKey(tsk)


@public
def parse_certificate(data: bytes | str, *, email: str | None = None) -> Certificate:
    """Exactly one public certificate, usable now for signing and encryption.

    With ``email``, one of its user IDs must carry that address (case-insensitive).
    Raises `KeyParseError` (`RevocationGiven` for a bare revocation certificate),
    `NotASingleCertificate`, `SecretKeyGiven` or a `KeyUnusable`.
    """
    certificate = _certificate(_one_public_cert(data))
    certificate.check_usable()
    certificate.encryption_probe()
    if email is not None and email.lower() not in certificate.emails:
        raise UserIDMismatch(
            f"The key {certificate.fingerprint} has no user ID with the address {email}.")
    return certificate


@public
def load_certificate(data: bytes | str) -> Certificate:
    """A stored certificate, parsed without checking whether it is usable now."""
    certs = _split(data)
    if len(certs) != 1:
        raise NotASingleCertificate(
            f"Expected one OpenPGP certificate, found {len(certs)}.")
    cert = certs[0]
    if _holds_secret(cert):
        cert = _public_half(cert)
    return _certificate(cert)


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _one_public_cert(data: bytes | str) -> pysequoia.Cert:
    """The one public certificate in ``data``, or the error that says why there is none."""
    certs = _split(data)
    if not certs:
        raise NotASingleCertificate("No OpenPGP key was found in what you sent.")
    if len(certs) > 1:
        raise NotASingleCertificate(
            f"What you sent holds {len(certs)} OpenPGP keys; please send exactly one.")
    if _holds_secret(certs[0]):
        raise SecretKeyGiven(
            "What you sent holds a secret key. Never share it: send only your public key,"
            " and consider this secret key compromised.")
    return certs[0]


# How GnuPG guards the armor of the revocation certificate it keeps in openpgp-revocs.d,
# so that the file is not imported by accident.
_GUARDED_REVOCATION = b":-----BEGIN PGP PUBLIC KEY BLOCK-----"


def _split(data: bytes | str) -> list[pysequoia.Cert]:
    raw = _as_bytes(data)
    if not raw.strip():
        return []
    try:
        # Parsing a secret key as a certificate works, with a DeprecationWarning that would
        # fail our tests; we detect secret keys ourselves right after.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return pysequoia.Cert.split_bytes(raw)
    except RuntimeError as error:
        signatures = _signatures_only(raw)
        if signatures is not None and all(
                s.signature_type == SignatureType.KeyRevocation for s in signatures):
            raise RevocationGiven(
                "What you sent is a revocation certificate, not a public key.") from error
        if signatures is not None:
            raise KeyParseError(
                "What you sent is an OpenPGP signature, not a public key.") from error
        if _GUARDED_REVOCATION in raw:
            raise KeyParseError(
                "This looks like a revocation certificate as GnuPG keeps it: remove the ':'"
                " before '-----BEGIN PGP PUBLIC KEY BLOCK-----' and send it again.") from error
        raise KeyParseError(
            "This is not a readable OpenPGP public key (it may be truncated or damaged);"
            " please send the whole ASCII-armored key block.") from error


def _signatures_only(raw: bytes) -> list[Packet] | None:
    """The packets of ``raw`` if it holds signatures and nothing else (as a revocation
    certificate does), else None."""
    try:
        packets = list(PacketPile.from_bytes(raw))
    except RuntimeError:
        return None
    if packets and all(p.tag == Tag.Signature for p in packets):
        return packets
    return None


def _holds_secret(cert: pysequoia.Cert) -> bool:
    # pysequoia deprecates the property (it wants secret keys read as Tsk) but it is the
    # one way to tell after a parse that accepted both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return cert.has_secret_keys


def _public_half(cert: pysequoia.Cert) -> pysequoia.Cert:
    return pysequoia.Tsk.from_bytes(bytes(cert)).extract_certificate()


def _has_secret(tsk: pysequoia.Tsk) -> bool:
    return any(p.tag in (Tag.SecretKey, Tag.SecretSubkey)
               for p in PacketPile.from_bytes(bytes(tsk)))


def _to_cert(certificate: Certificate) -> pysequoia.Cert:
    if certificate._parsed is not None:
        return certificate._parsed
    return pysequoia.Cert.from_bytes(certificate.armor.encode("ascii"))


def _packets(cert: pysequoia.Cert) -> list[Packet]:
    return list(PacketPile.from_bytes(bytes(cert)))


def _key_id(key: Packet) -> str:
    """The key ID of a key packet, upper case (pysequoia gives None for other packets)."""
    key_id = key.key_id
    assert key_id is not None, f"{key.tag!r} is not a key packet"
    return key_id.upper()


def _revoked(cert: pysequoia.Cert, packets: list[Packet]) -> bool:
    """Whether the key revoked itself, as Sequoia verified; revocations by others left out.

    pysequoia's ``is_revoked`` is also true when the certificate carries a revocation naming
    another key as its issuer, unverified (tried: with a garbage signature value). Sequoia
    verifies a revocation only when it names the key itself (or no issuer), and sets one
    that fails aside; so without the ones naming another key its verdict is the key's own.
    """
    if not cert.is_revoked:
        return False
    primary = packets[0]
    own = {primary.fingerprint, primary.key_id}
    kept = [p for p in packets if not _revocation_by_another_key(p, own)]
    if len(kept) == len(packets):
        return True
    return pysequoia.Cert.from_packets(kept).is_revoked


def _revocation_by_another_key(packet: Packet, own: set[str | None]) -> bool:
    if packet.tag != Tag.Signature or packet.signature_type != SignatureType.KeyRevocation:
        return False
    issuers = {packet.issuer_fingerprint, packet.issuer_key_id} - {None}
    return bool(issuers) and not issuers & own


def _certificate(cert: pysequoia.Cert) -> Certificate:
    user_ids = tuple(str(uid) for uid in cert.user_ids)
    packets = _packets(cert)
    emails = frozenset(
        p.user_id_email.lower() for p in packets
        if p.tag == Tag.UserID and p.user_id_email and p.user_id in user_ids)
    return Certificate(
        fingerprint=cert.fingerprint.upper(),
        user_ids=user_ids,
        emails=emails,
        expires=cert.expiration,
        armor=str(cert),
        revoked=_revoked(cert, packets),
        keys=tuple(_key_parts(packets)),
        _parsed=cert,
    )


def _key_parts(packets: list[Packet]) -> Iterable[KeyPart]:
    """The primary key and subkeys with flags, expiry and revocation from self-signatures.

    Only signatures issued by the primary key count; the latest one of a component wins.
    User IDs do not start a group, so their self-signatures count for the primary key.
    """
    primary = packets[0]
    primary_ids = {primary.fingerprint, primary.key_id}
    groups: list[tuple[Packet, list[Packet]]] = [(primary, [])]
    for packet in packets[1:]:
        if packet.tag in (Tag.PublicSubkey, Tag.SecretSubkey):
            groups.append((packet, []))
        elif packet.tag == Tag.Signature and (
                packet.issuer_fingerprint in primary_ids or packet.issuer_key_id in primary_ids):
            groups[-1][1].append(packet)
    for index, (key, signatures) in enumerate(groups):
        kinds = _SELF_SIGNATURES if index == 0 else _BINDINGS
        revocation = (SignatureType.KeyRevocation if index == 0
                      else SignatureType.SubkeyRevocation)
        # A signature without a creation time is invalid (RFC 9580 5.2.3.11) and cannot
        # be the latest; Sequoia keeps such a one among the bad signatures it writes out.
        live = [(s.signature_created, s) for s in signatures if s.signature_type in kinds]
        dated = [(created, s) for created, s in live if created is not None]
        latest = max(dated, key=lambda pair: pair[0], default=None)
        flags = latest[1].key_flags if latest is not None else None
        period = latest[1].key_validity_period if latest is not None else None
        fingerprint, created = key.fingerprint, key.key_created
        assert fingerprint is not None and created is not None, f"{key.tag!r} is not a key"
        yield KeyPart(
            fingerprint=fingerprint.upper(),
            key_id=_key_id(key),
            algorithm=repr(key.key_algorithm).rpartition(".")[2],
            created=created,
            expires=created + period if period else None,
            revoked=any(s.signature_type == revocation for s in signatures),
            can_sign=bool(flags and flags.signing),
            can_encrypt=bool(flags and (flags.transport_encryption
                                        or flags.storage_encryption)),
        )
