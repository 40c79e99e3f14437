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
from collections import Counter
from collections.abc import Iterable, Sequence
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
    KeyTooLarge,
    NotAnUpdate,
    NotASingleCertificate,
    OpenPGPError,
    RevocationGiven,
    RevocationRefused,
    SecretKeyGiven,
    UserIDMismatch,
)
from mailman_pgp.openpgp.key_signatures import SUBKEY_REVOCATION, checked_signatures
from mailman_pgp.openpgp.sop import SOP


@public
class CertificationRefused(OpenPGPError):
    """A certification of a key that is missing, was made by another key than the one
    expected, or does not verify."""


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
_KEYS = (Tag.PublicKey, Tag.PublicSubkey)
_REVOCATIONS = (SignatureType.KeyRevocation, SignatureType.SubkeyRevocation)
_CERTIFICATIONS = (
    SignatureType.GenericCertification,
    SignatureType.PersonaCertification,
    SignatureType.CasualCertification,
    SignatureType.PositiveCertification,
)
_SELF_SIGNATURES = (
    SignatureType.DirectKey,
    SignatureType.GenericCertification,
    SignatureType.PersonaCertification,
    SignatureType.CasualCertification,
    SignatureType.PositiveCertification,
)


@public
@dataclass(frozen=True)
class KeyLimits:
    """How much key material the list reads from anyone before Sequoia judges it.

    Sequoia's work on a certificate grows with the square of its user IDs (measured with
    pysequoia 0.1.35: 1,000 user IDs 0.4 s, 2,000 2.3 s, 5,000 15 s), so what people send
    is counted first, packet by packet, which costs microseconds. The defaults admit every
    key in real use, certifications by hundreds of people included.
    """

    # Bytes of what is sent, armored or binary.
    size: int = 1024 * 1024
    # User IDs and user attributes (photo IDs).
    user_ids: int = 100
    subkeys: int = 100
    signatures: int = 10_000

    def check_size(self, raw: bytes) -> None:
        """`KeyTooLarge` when ``raw`` is over `size`, before anything parses it."""
        if len(raw) > self.size:
            raise KeyTooLarge(
                f"What you sent is {_kilobytes(len(raw))} KB; this list reads keys of at"
                f" most {_kilobytes(self.size)} KB. Send your key without others'"
                " certifications: gpg --export-options export-minimal --armor --export"
                " YOUR-ADDRESS")

    def check_packets(self, packets: Sequence[Packet]) -> None:
        """`KeyTooLarge` when the packets of one key hold more than the limits allow."""
        # pysequoia's Tag is not hashable: counted by comparison.
        tags = [packet.tag for packet in packets]
        user_ids = sum(tag in (Tag.UserID, Tag.UserAttribute) for tag in tags)
        subkeys = sum(tag in (Tag.PublicSubkey, Tag.SecretSubkey) for tag in tags)
        signatures = sum(tag == Tag.Signature for tag in tags)
        for found, limit, what, advice in (
                (user_ids, self.user_ids, "user IDs",
                 "remove the ones you no longer use (gpg --edit-key, deluid)"),
                (subkeys, self.subkeys, "subkeys",
                 "remove the expired and revoked ones (gpg --edit-key, delkey)"),
                (signatures, self.signatures, "signatures",
                 "send it without others' certifications"
                 " (gpg --export-options export-minimal)")):
            if found > limit:
                raise KeyTooLarge(
                    f"The key holds {found} {what}; this list reads keys with at most"
                    f" {limit}: {advice}, then send it again.")


DEFAULT_KEY_LIMITS = KeyLimits()


def _kilobytes(size: int) -> int:
    return -(-size // 1024)


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
    # The algorithm with its curve or size as GnuPG names it (`algorithm_name`), e.g.
    # "ed25519", "cv25519", "rsa4096", "nistp256".
    algorithm_name: str
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
    primary key and subkeys, the primary key first) are what `check_usable` judges.
    ``user_ids`` are the user IDs that are not revoked, as Sequoia gives them.
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

    @property
    def algorithm(self) -> str:
        """The primary key's algorithm and size or curve, e.g. ``ed25519`` or ``rsa4096``.

        The name GnuPG prints for it in ``gpg --list-keys`` (see `algorithm_name`). The
        primary key is what identifies the key (its fingerprint); the subkeys may differ,
        e.g. a ``cv25519`` encryption subkey beside an ``ed25519`` primary key.
        """
        return self.keys[0].algorithm_name

    @property
    def created(self) -> datetime:
        """When the primary key was made (UTC): the creation time in its key packet."""
        return self.keys[0].created

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

    def update(self, data: bytes | str, *, sop: SOP | None = None,
               limits: KeyLimits = DEFAULT_KEY_LIMITS) -> Certificate:
        """This certificate updated with ``data``; the result is not judged.

        ``data`` is either this key as its owner exports it now, carrying a revocation, a new
        expiry, new subkeys or user IDs (merged as by `merge`), or bare revocation
        certificates for it or for its subkeys: what ``gpg --gen-revoke`` prints, the file
        GnuPG keeps in ``openpgp-revocs.d`` once the ':' that guards its armor line is
        removed, or a subkey's revocation signature alone. The result may be revoked or
        expired: it is the truth about the key.

        Every revocation made by this key that ``data`` adds must verify: Sequoia checks a
        revocation of the key itself, GnuPG (``sop.gpg``, see `key_signatures`) one of a
        subkey, which pysequoia cannot tell from a forged one.

        ``data``, and this key with it unless ``data`` holds revocations only, must be within
        ``limits``.

        Raises `NotAnUpdate` when ``data`` is one certificate of another key (a replacement,
        for `parse_certificate` to judge), `RevocationRefused` for a revocation that this key
        did not make or that does not verify, `KeyTooLarge`, `SecretKeyGiven`,
        `NotASingleCertificate` or `KeyParseError` for anything else, `CommandUnavailable`
        when gpg cannot be run.
        """
        sop = sop or SOP()
        raw = _as_bytes(data)
        limits.check_size(raw)
        signatures = _signatures_only(raw)
        if signatures is not None:
            limits.check_packets(signatures)
            # Each may cost a run of gpg; none can revoke more than the key's own keys.
            if len(signatures) > len(self.keys):
                raise KeyTooLarge(
                    f"What you sent holds {len(signatures)} signatures, but the key"
                    f" {self.fingerprint} has only {len(self.keys)} keys to revoke.")
            updated = self
            for signature in signatures:
                updated = updated._with_revocation(signature, sop)
            return updated
        updated = self.merge(_certificate(_one_public_cert(raw, limits)))
        limits.check_packets(_packets(_to_cert(updated)))
        _check_new_revocations(self, updated, sop)
        return updated

    def revocations_from(self, data: bytes | str, *, sop: SOP | None = None,
                         limits: KeyLimits = DEFAULT_KEY_LIMITS) -> Certificate:
        """This certificate with the revocations of it and of its subkeys in ``data``, only.

        ``data`` is what `update` takes, and is checked as there; anything else it carries (a
        new expiry, subkeys, user IDs, others' certifications) is left out, so that a
        revocation, which proves itself, changes nothing but what it revokes. This
        certificate itself when it carried them all already; `KeyParseError` when ``data``
        holds no revocation made by this key.
        """
        updated = self.update(data, sop=sop, limits=limits)
        own = {_fingerprint(p) for p in _packets(_to_cert(self)) if _is_key(p)}
        known = {bytes(signature) for _, signature in _own_revocations(_to_cert(self))}
        offered = [(key, signature) for key, signature in _own_revocations(_to_cert(updated))
                   if _fingerprint(key) in own]
        if not _offers_revocation(data):
            raise KeyParseError(
                f"What you sent holds no revocation of the key {self.fingerprint} or of its"
                " subkeys: send the revocation certificate (gpg --gen-revoke), or your key as"
                " gpg exports it after you revoked a subkey.")
        cert = _to_cert(self)
        primary = _packets(cert)[0]
        added = False
        for key, signature in offered:
            if bytes(signature) in known:
                continue
            component = ([primary, signature] if _fingerprint(key) == self.fingerprint
                         else [primary, key, signature])
            cert = cert.merge(pysequoia.Cert.from_packets(component))
            added = True
        return _certificate(cert) if added else self

    def certified_by(self, data: bytes | str, certifier: Certificate, *,
                     sop: SOP | None = None,
                     limits: KeyLimits = DEFAULT_KEY_LIMITS) -> Certificate:
        """This certificate with the certifications of its user IDs by ``certifier``.

        ``data`` is this key as the holder of ``certifier`` exports it after certifying it
        (``gpg --sign-key``). Only exportable certifications (classes 0x10 to 0x13) made by
        ``certifier``'s primary key over user IDs this certificate has are taken; the rest
        of ``data`` is left out. Each must verify, which GnuPG (``sop.gpg``) checks: Sequoia
        verifies only a key's own signatures. The result may equal this certificate when it
        carried them already.

        Raises `NotAnUpdate` for another key, `CertificationRefused` when ``data`` carries
        no such certification or one that does not verify, `KeyTooLarge` for ``data`` over
        ``limits``, `SecretKeyGiven`, `NotASingleCertificate` or `KeyParseError` for what is
        not one public key, `CommandUnavailable` when gpg cannot be run.
        """
        theirs = _one_public_cert(data, limits)
        if theirs.fingerprint.upper() != self.fingerprint:
            raise NotAnUpdate(
                f"What you sent is the key {theirs.fingerprint.upper()}, not the key"
                f" {self.fingerprint}.")
        if certifier.fingerprint == self.fingerprint:
            raise CertificationRefused(f"The key {self.fingerprint} cannot certify itself.")
        certifier_primary = _packets(_to_cert(certifier))[0]
        certifier_ids = {certifier.fingerprint, _key_id(certifier_primary)}
        packets = _packets(theirs)
        chosen: list[Packet] = [packets[0]]
        user_id: Packet | None = None
        taken = False
        for packet in packets[1:]:
            if packet.tag == Tag.UserID:
                user_id = packet if packet.user_id in self.user_ids else None
                taken = False
            elif packet.tag != Tag.Signature:
                user_id = None
            elif (user_id is not None and _signature_type(packet) in _CERTIFICATIONS
                  and packet.exportable is not False
                  and _issuers(packet) & certifier_ids):
                if not taken:
                    chosen.append(user_id)
                    taken = True
                chosen.append(packet)
        if len(chosen) == 1:
            raise CertificationRefused(
                f"What you sent carries no certification of the key {self.fingerprint} by"
                f" the key {certifier.fingerprint}: certify it first (gpg --sign-key"
                f" {self.fingerprint}), then send it as gpg exports it.")
        try:
            merged = _to_cert(self).merge(pysequoia.Cert.from_packets(chosen))
        except RuntimeError as error:
            raise KeyParseError("The certification in what you sent cannot be read.") from error
        made = [p for p in _packets(merged)
                if p.tag == Tag.Signature and _signature_type(p) in _CERTIFICATIONS
                and _issuers(p) & certifier_ids]
        checked = [c for c in checked_signatures(
                       [bytes(_to_cert(certifier)), bytes(merged)], self.fingerprint,
                       sop or SOP())
                   if c.is_certification and c.issuer == _key_id(certifier_primary)]
        if len(checked) != len(made) or not all(c.good for c in checked):
            raise CertificationRefused(
                f"A certification by the key {certifier.fingerprint} in what you sent does"
                f" not verify: it is damaged, or it was not made with that key.")
        return _certificate(merged)

    def _with_revocation(self, signature: Packet, sop: SOP) -> Certificate:
        """This certificate with a bare revocation signature attached, if it verifies.

        A revocation certificate is one signature packet, over the primary key (a key
        revocation) or over the primary key and a subkey (a subkey revocation). Placed after
        that key's packet it makes a certificate of its own, which Sequoia canonicalizes: a
        key revocation naming this key as its issuer is kept only if it verifies with this
        key, else it is set aside and the key is not revoked. A subkey revocation names no
        subkey, so it is tried on each, and GnuPG says on which it verifies. Only then is it
        merged into this certificate, so a forged one leaves nothing behind.
        """
        kind = _signature_type(signature)
        if kind not in (SignatureType.KeyRevocation, SignatureType.SubkeyRevocation):
            raise KeyParseError(
                "What you sent is an OpenPGP signature, but not the revocation certificate of"
                " a key; please send a revocation certificate or the whole public key.")
        packets = _packets(_to_cert(self))
        primary = packets[0]
        issuer = (signature.issuer_fingerprint or signature.issuer_key_id or "").upper()
        if issuer not in (self.fingerprint, _key_id(primary)):
            raise RevocationRefused(
                f"This revocation certificate was made by the key {issuer or '(not named)'},"
                f" not by the key {self.fingerprint}; a key can only be revoked by itself.")
        if kind == SignatureType.SubkeyRevocation:
            return self._with_subkey_revocation(packets, signature, sop)
        try:
            revocation = pysequoia.Cert.from_packets([primary, signature])
        except RuntimeError as error:
            raise KeyParseError("This revocation certificate cannot be read.") from error
        if not _revoked(revocation, [primary, signature]):
            raise RevocationRefused(
                f"This revocation certificate does not verify with the key {self.fingerprint}:"
                " it is damaged, or it was not made with that key.")
        return _certificate(_to_cert(self).merge(revocation))

    def _with_subkey_revocation(self, packets: list[Packet], signature: Packet,
                                sop: SOP) -> Certificate:
        primary = packets[0]
        subkeys = [p for p in packets if p.tag == Tag.PublicSubkey and _is_key(p)]
        try:
            candidates = {_fingerprint(subkey): pysequoia.Cert.from_packets(
                              [primary, subkey, signature]) for subkey in subkeys}
        except RuntimeError as error:
            raise KeyParseError("This revocation certificate cannot be read.") from error
        tried = _to_cert(self)
        for candidate in candidates.values():
            tried = tried.merge(candidate)
        created = _created(signature)
        revoked = {c.key for c in checked_signatures([bytes(tried)], self.fingerprint, sop)
                   if c.good and c.signature_class == SUBKEY_REVOCATION
                   and c.issuer == _key_id(primary) and c.created == created}
        found = [fingerprint for fingerprint in candidates if fingerprint in revoked]
        if not found:
            raise RevocationRefused(
                f"This revocation certificate does not verify with any subkey of the key"
                f" {self.fingerprint}: it is damaged, or it was not made with that key.")
        return _certificate(_to_cert(self).merge(candidates[found[0]]))

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
def generate_key(user_id: str, algorithm: KeyAlgorithm = KeyAlgorithm.CV25519, *,
                 more_user_ids: Sequence[str] = ()) -> SecretKey:
    """A new key pair for a list, without expiry, usable by GnuPG 2.2.

    ``user_id`` is its primary user ID; ``more_user_ids`` are certified by the key too
    (a list's -request address, so that clients looking that address up accept the key).
    """
    tsk = pysequoia.Tsk.generate(
        user_id, profile=pysequoia.Profile.RFC4880, cipher_suite=_CIPHER_SUITES[algorithm])
    if more_user_ids:
        # pysequoia adds user IDs to a Cert only, with a DeprecationWarning for one that
        # holds secret keys; the secret key comes back out of it whole.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            cert = pysequoia.Cert.from_bytes(bytes(tsk))
            for extra in more_user_ids:
                cert = cert.add_user_id(extra, tsk.certifier())
            secrets = cert.secrets
            if secrets is None:
                raise KeyParseError("The new key lost its secret half when user IDs were added.")
            tsk = secrets
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
def parse_certificate(data: bytes | str, *, email: str | None = None,
                      limits: KeyLimits = DEFAULT_KEY_LIMITS) -> Certificate:
    """Exactly one public certificate, usable now for signing and encryption.

    With ``email``, one of its user IDs must carry that address (case-insensitive).
    ``data`` over ``limits`` is refused before Sequoia reads the key. Raises
    `KeyParseError` (`RevocationGiven` for a bare revocation certificate, `KeyTooLarge`),
    `NotASingleCertificate`, `SecretKeyGiven` or a `KeyUnusable`.
    """
    certificate = _certificate(_one_public_cert(data, limits))
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


@public
def minimal_certificate(certificate: Certificate, email: str) -> bytes:
    """``certificate`` in binary, as an Autocrypt header carries it: the key's own parts only.

    The primary key and its direct signatures, the user IDs of ``email`` (all of them when
    none matches) and the subkeys, each with the signatures the key made over it; no
    certification by another key, no other user ID.
    """
    packets = _packets(_to_cert(certificate))
    own = {_key_id(packets[0]), certificate.fingerprint}
    wanted = email.lower()
    matching = any(p.tag == Tag.UserID and (p.user_id_email or "").lower() == wanted
                   for p in packets)
    chosen = [packets[0]]
    keep = True
    for packet in packets[1:]:
        if packet.tag == Tag.Signature:
            if keep and (_issuers(packet) & own or not _issuers(packet)):
                chosen.append(packet)
            continue
        if packet.tag == Tag.UserID:
            keep = not matching or (packet.user_id_email or "").lower() == wanted
        else:
            keep = packet.tag == Tag.PublicSubkey
        if keep:
            chosen.append(packet)
    try:
        return bytes(pysequoia.Cert.from_packets(chosen))
    except RuntimeError as error:
        raise KeyParseError("The key cannot be written in its minimal form.") from error


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _one_public_cert(data: bytes | str, limits: KeyLimits | None) -> pysequoia.Cert:
    """The one public certificate in ``data``, or the error that says why there is none.

    Within ``limits`` when given: for what a person sent, not for what the list holds.
    """
    certs = _split(data, limits)
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


def _split(data: bytes | str, limits: KeyLimits | None = None) -> list[pysequoia.Cert]:
    """The certificates in ``data``, each within ``limits`` when given.

    Splitting reads the packets without judging them (linear time); Sequoia's judgement,
    the costly part, comes later, in `_certificate`.
    """
    raw = _as_bytes(data)
    if limits is not None:
        limits.check_size(raw)
    if not raw.strip():
        return []
    try:
        # Parsing a secret key as a certificate works, with a DeprecationWarning that would
        # fail our tests; we detect secret keys ourselves right after.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            certs = pysequoia.Cert.split_bytes(raw)
    except RuntimeError as error:
        signatures = _signatures_only(raw)
        if signatures is not None and all(
                _signature_type(s) == SignatureType.KeyRevocation for s in signatures):
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
    if limits is not None:
        for cert in certs:
            limits.check_packets(_packets(cert))
    return certs


def _signatures_only(raw: bytes) -> list[Packet] | None:
    """The packets of ``raw`` if it holds signatures and nothing else (as a revocation
    certificate does), else None."""
    try:
        packets = list(PacketPile.from_bytes(raw))
        signatures = bool(packets) and all(p.tag == Tag.Signature for p in packets)
    except RuntimeError:  # also from .tag, for a tag pysequoia cannot name
        return None
    return packets if signatures else None


def _holds_secret(cert: pysequoia.Cert) -> bool:
    # pysequoia deprecates the property (it wants secret keys read as Tsk) but it is the
    # one way to tell after a parse that accepted both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return cert.has_secret_keys


def _public_half(cert: pysequoia.Cert) -> pysequoia.Cert:
    try:
        return pysequoia.Tsk.from_bytes(bytes(cert)).extract_certificate()
    except RuntimeError as error:
        raise KeyParseError(_UNREADABLE_PACKETS) from error


def _has_secret(tsk: pysequoia.Tsk) -> bool:
    return any(p.tag in (Tag.SecretKey, Tag.SecretSubkey)
               for p in PacketPile.from_bytes(bytes(tsk)))


def _to_cert(certificate: Certificate) -> pysequoia.Cert:
    if certificate._parsed is not None:
        return certificate._parsed
    return pysequoia.Cert.from_bytes(certificate.armor.encode("ascii"))


def _packets(cert: pysequoia.Cert) -> list[Packet]:
    """The packets of ``cert``, each with a tag pysequoia can name.

    Sequoia keeps in a certificate what pysequoia cannot hand over (a packet of an unknown
    tag, a signature naming its issuer by a fingerprint of an unknown version): then
    `KeyParseError`, as for any key we cannot read.
    """
    try:
        packets = list(PacketPile.from_bytes(bytes(cert)))
        _ = [packet.tag for packet in packets]  # pysequoia raises for a tag it cannot name
    except RuntimeError as error:
        raise KeyParseError(_UNREADABLE_PACKETS) from error
    return packets


_UNREADABLE_PACKETS = (
    "This OpenPGP key holds packets that this list cannot read (of an unknown kind, or"
    " damaged); please send the key as GnuPG exports it: gpg --armor --export YOUR-ADDRESS")


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
    if packet.tag != Tag.Signature or _signature_type(packet) != SignatureType.KeyRevocation:
        return False
    issuers = {packet.issuer_fingerprint, packet.issuer_key_id} - {None}
    return bool(issuers) and not issuers & own


def _is_key(packet: Packet) -> bool:
    """Whether ``packet`` is a primary key or subkey that Sequoia could read. One it cannot
    (damaged, or of a version it does not know) stays in a certificate as an unknown packet
    with its tag, but without fingerprint: it is no key, and nothing can revoke it."""
    return packet.tag in _KEYS and packet.fingerprint is not None


def _fingerprint(key: Packet) -> str:
    """The fingerprint of a key packet, upper case."""
    fingerprint = key.fingerprint
    assert fingerprint is not None, f"{key.tag!r} is not a key packet"
    return fingerprint.upper()


def _issuers(signature: Packet) -> set[str]:
    """What a signature names as its issuer: fingerprint and key ID, upper case."""
    return {named.upper() for named in (signature.issuer_fingerprint, signature.issuer_key_id)
            if named}


def _created(signature: Packet) -> int:
    """A signature's creation time in seconds since the epoch, as GnuPG lists it."""
    created = signature.signature_created
    return int(created.timestamp()) if created is not None else -1


def _own_revocations(cert: pysequoia.Cert) -> list[tuple[Packet, Packet]]:
    """The revocations a key made of itself and of its subkeys, each after the key packet
    (primary key or subkey) it revokes. One naming no issuer counts as the key's own, as
    Sequoia takes it."""
    packets = _packets(cert)
    primary = packets[0]
    own = {_fingerprint(primary), _key_id(primary)}
    found: list[tuple[Packet, Packet]] = []
    key: Packet | None = primary
    for packet in packets[1:]:
        if packet.tag in _KEYS:
            key = packet if _is_key(packet) else None
        elif packet.tag != Tag.Signature:
            key = None
        elif key is not None and _signature_type(packet) in _REVOCATIONS:
            issuers = _issuers(packet)
            if not issuers or issuers & own:
                found.append((key, packet))
    return found


def _offers_revocation(data: bytes | str) -> bool:
    """Whether ``data``, already accepted by `Certificate.update`, carries a revocation of the
    key or of a subkey (bare signatures are revocations once accepted there)."""
    raw = _as_bytes(data)
    return (_signatures_only(raw) is not None
            or bool(_own_revocations(_one_public_cert(raw, None))))


def _check_new_revocations(held: Certificate, updated: Certificate, sop: SOP) -> None:
    """`RevocationRefused` unless GnuPG verifies every revocation the key made of itself or
    of a subkey that ``updated`` carries beyond ``held``.

    Revocations are told apart by what they revoke and when they were made, as GnuPG lists
    them; GnuPG drops one that does not verify when it imports the key, so it is missing
    from its list.
    """
    def slots(certificate: Certificate) -> Counter[tuple[str, int]]:
        return Counter((_fingerprint(key), _created(signature))
                       for key, signature in _own_revocations(_to_cert(certificate)))

    before, after = slots(held), slots(updated)
    added = after - before
    if not added:
        return
    cert = _to_cert(updated)
    primary_id = _key_id(_packets(cert)[0])
    good = Counter((c.key, c.created)
                   for c in checked_signatures([bytes(cert)], updated.fingerprint, sop)
                   if c.good and c.is_revocation and c.issuer == primary_id)
    if any(good[slot] < after[slot] for slot in added):
        raise RevocationRefused(
            f"A revocation in what you sent does not verify with the key {held.fingerprint}:"
            " it is damaged, or it was not made with that key.")


def _certificate(cert: pysequoia.Cert) -> Certificate:
    packets = _packets(cert)
    try:
        user_ids = tuple(str(uid) for uid in cert.user_ids)
        expires = cert.expiration
    except RuntimeError as error:
        # Sequoia judges the primary key before it reads what the self-signatures say: an
        # algorithm its policy rejects (RSA-1024) or a curve it cannot check (brainpool,
        # secp256k1) fails here.
        name = _algorithm_names(packets[0])[1]
        raise KeyParseError(
            f"The key {cert.fingerprint.upper()} uses {name}, an algorithm this list cannot"
            " use (too weak, or not supported); please send a key made with a current"
            " algorithm, such as ed25519 or rsa3072.") from error
    emails = frozenset(
        p.user_id_email.lower() for p in packets
        if p.tag == Tag.UserID and p.user_id_email and p.user_id in user_ids)
    return Certificate(
        fingerprint=cert.fingerprint.upper(),
        user_ids=user_ids,
        emails=emails,
        expires=expires,
        armor=str(cert),
        revoked=_revoked(cert, packets),
        keys=tuple(_key_parts(packets)),
        _parsed=cert,
    )


def _signature_type(signature: Packet) -> SignatureType | None:
    """The type of a signature packet; None for a type pysequoia cannot name (it raises
    `RuntimeError` "Unknown signature type"), which no check here counts."""
    try:
        return signature.signature_type
    except RuntimeError:
        return None


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
        live = [(s.signature_created, s) for s in signatures if _signature_type(s) in kinds]
        dated = [(created, s) for created, s in live if created is not None]
        latest = max(dated, key=lambda pair: pair[0], default=None)
        flags = latest[1].key_flags if latest is not None else None
        period = latest[1].key_validity_period if latest is not None else None
        fingerprint, created = key.fingerprint, key.key_created
        if fingerprint is None or created is None:
            # A subkey packet Sequoia cannot read (damaged, or of a version it does not
            # know) stays in the certificate as an unknown packet: it is no key, and the
            # signatures after it bind nothing.
            continue
        yield KeyPart(
            fingerprint=fingerprint.upper(),
            key_id=_key_id(key),
            algorithm=_algorithm_names(key)[0],
            algorithm_name=_algorithm_names(key)[1],
            created=created,
            expires=created + period if period else None,
            revoked=any(_signature_type(s) == revocation for s in signatures),
            can_sign=bool(flags and flags.signing),
            can_encrypt=bool(flags and (flags.transport_encryption
                                        or flags.storage_encryption)),
        )


def _algorithm_names(key: Packet) -> tuple[str, str]:
    """pysequoia's name of the algorithm of a key packet (e.g. ``EdDSA``) and GnuPG's
    (`algorithm_name`, e.g. ``ed25519``). pysequoia raises for an algorithm ID it has no
    name for (a private or experimental one, or garbage): both are then ``unknown<ID>``."""
    try:
        algorithm = repr(key.key_algorithm)
    except RuntimeError:
        found = _algorithm_and_material(key.body)
        unknown = f"unknown{found[0]}" if found else "unknown"
        return unknown, unknown
    return algorithm.rpartition(".")[2], algorithm_name(key.body, algorithm)


# Public key algorithm IDs (RFC 9580 9.1) and the families GnuPG names by their size.
_SIZED = {1: "rsa", 2: "rsa", 3: "rsa", 16: "elg", 17: "dsa", 20: "elg"}
# ECDH, ECDSA and the legacy EdDSA name their curve by an OID (RFC 9580 9.2).
_BY_CURVE = (18, 19, 22)
# Algorithms of RFC 9580 with their curve built in.
_FIXED_CURVE = {25: "cv25519", 26: "cv448", 27: "ed25519", 28: "ed448"}
# Curve OIDs (DER, without tag and length) and GnuPG's names; ECDH over Curve25519 and
# EdDSA over Ed25519 are GnuPG's "cv25519" and "ed25519".
_CURVES = {
    bytes.fromhex("2b06010401da470f01"): "ed25519",
    bytes.fromhex("2b060104019755010501"): "cv25519",
    bytes.fromhex("2b6571"): "ed448",
    bytes.fromhex("2b656f"): "cv448",
    bytes.fromhex("2a8648ce3d030107"): "nistp256",
    bytes.fromhex("2b81040022"): "nistp384",
    bytes.fromhex("2b81040023"): "nistp521",
    bytes.fromhex("2b2403030208010107"): "brainpoolP256r1",
    bytes.fromhex("2b240303020801010b"): "brainpoolP384r1",
    bytes.fromhex("2b240303020801010d"): "brainpoolP512r1",
    bytes.fromhex("2b8104000a"): "secp256k1",
}


@public
def algorithm_name(body: bytes, fallback: str) -> str:
    """A key's algorithm as GnuPG names it in ``gpg --list-keys``, read from its packet body.

    RSA, DSA and ElGamal with their size in bits (``rsa4096``, ``dsa2048``, ``elg2048``);
    elliptic-curve keys by their curve (``ed25519``, ``cv25519``, ``ed448``, ``cv448``,
    ``nistp256``, ``nistp384``, ``nistp521``, ``brainpoolP256r1``, ``brainpoolP384r1``,
    ``brainpoolP512r1``, ``secp256k1``). pysequoia names the algorithm only, so the size
    (the bit count of the RSA modulus, of the DSA or ElGamal prime) and the curve OID are
    read from the key packet (RFC 9580 5.5.2, 5.6). Anything else, an unknown curve or a
    damaged packet, is ``fallback`` (pysequoia's name, e.g. ``PublicKeyAlgorithm.X25519``)
    lower-cased after its last dot: this never raises on what a stranger sends.
    """
    default = fallback.rpartition(".")[2].lower()
    found = _algorithm_and_material(body)
    if found is None:
        return default
    algorithm, material = found
    if algorithm in _FIXED_CURVE:
        return _FIXED_CURVE[algorithm]
    if algorithm in _SIZED and len(material) >= 2:
        bits = int.from_bytes(material[:2], "big")
        return f"{_SIZED[algorithm]}{bits}" if bits else default
    if algorithm in _BY_CURVE and material:
        oid = material[1 : 1 + material[0]]
        return _CURVES.get(oid, default)
    return default


def _algorithm_and_material(body: bytes) -> tuple[int, bytes] | None:
    """The algorithm ID of a key packet and its public key material; None if unreadable."""
    # After the version and the creation time (4 octets): version 3 has the validity in
    # days (2) before the algorithm; versions 5 and 6 the length of the key material (4)
    # after it.
    starts = {2: (7, 8), 3: (7, 8), 4: (5, 6), 5: (5, 10), 6: (5, 10)}
    if not body or body[0] not in starts:
        return None
    algorithm, material = starts[body[0]]
    if len(body) <= algorithm:
        return None
    return body[algorithm], body[material:]
