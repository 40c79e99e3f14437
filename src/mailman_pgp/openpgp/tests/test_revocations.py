# Test that revocations of a subscriber's subkeys are merged only when they verify: alone (a
# bare subkey revocation signature) or in the key as GnuPG exports it after "revkey", several
# at once, and that revocations_from takes revocations and nothing else.

from __future__ import annotations

from collections.abc import Iterator

import pysequoia
import pytest
from pysequoia.packet import Packet, PacketPile, SignatureType

from mailman_pgp.openpgp import (
    SOP,
    Certificate,
    CommandUnavailable,
    KeyParseError,
    NotAnUpdate,
    RevocationRefused,
    encrypt,
    load_certificate,
    parse_certificate,
)
from mailman_pgp.openpgp.key_signatures import parse_check_signatures
from mailman_pgp.testing.gnupg import GnuPGClient


@pytest.fixture
def fay() -> Iterator[GnuPGClient]:
    """A subscriber's gpg holding one key: Ed25519 primary, one Cv25519 encryption subkey."""
    client = GnuPGClient()
    client.generate("Fay <fay@example.com>")
    yield client
    client.close()


def held(client: GnuPGClient) -> Certificate:
    return parse_certificate(client.export())


def exported(client: GnuPGClient) -> bytes:
    """The key as gpg exports it now, binary."""
    return bytes(pysequoia.Cert.from_bytes(client.export().encode()))


def subkey_revocation(client: GnuPGClient) -> Packet:
    [revocation] = [packet for packet in PacketPile.from_bytes(exported(client))
                    if packet.signature_type == SignatureType.SubkeyRevocation]
    return revocation


def damaged(data: bytes, packet: Packet) -> bytes:
    """``data`` with a byte of ``packet``'s signature value flipped: still named as made by
    the key, but not verifying."""
    at = data.index(packet.body) + len(packet.body) - 3
    return data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1:]


def revoked_parts(certificate: Certificate) -> list[bool]:
    return [part.revoked for part in certificate.keys]


def test_a_key_exported_after_revkey_revokes_the_subkey(fay: GnuPGClient) -> None:
    key = held(fay)
    fay.revoke_subkey(key.fingerprint)
    updated = key.update(fay.export())
    assert revoked_parts(key) == [False, False]
    assert revoked_parts(updated) == [False, True]
    # Sequoia agrees: nothing left to encrypt to.
    with pytest.raises(Exception, match="no valid key for encryption"):
        encrypt(b"a post", updated)


def test_a_bare_subkey_revocation_is_attached_to_the_subkey_it_verifies_with(
        fay: GnuPGClient) -> None:
    fay.add_subkey(fay.fingerprint(), "cv25519", "encr")
    key = held(fay)
    [first, second] = [subkey for subkey, _ in fay.subkeys(key.fingerprint)]
    fay.revoke_subkey(key.fingerprint, 2)
    bare = bytes(subkey_revocation(fay))
    armored = pysequoia.armor(bare, pysequoia.ArmorKind.Signature)
    for given in (bare, armored):
        updated = key.update(given)
        parts = [updated.key_part(subkey) for subkey in (first, second)]
        assert [part is not None and part.revoked for part in parts] == [False, True]
        assert not updated.keys[0].revoked
        updated.check_usable(sign=False)


def test_a_forged_bare_subkey_revocation_is_refused(fay: GnuPGClient) -> None:
    key = held(fay)
    fay.revoke_subkey(key.fingerprint)
    revocation = subkey_revocation(fay)
    with pytest.raises(RevocationRefused, match="does not verify with any subkey"):
        key.update(damaged(bytes(revocation), revocation))


def test_a_forged_subkey_revocation_in_an_exported_key_is_refused(fay: GnuPGClient) -> None:
    # pysequoia keeps such a revocation and reads the subkey as revoked: without the check,
    # anyone could cut a member off the list's mail.
    key = held(fay)
    fay.revoke_subkey(key.fingerprint)
    data = exported(fay)
    with pytest.raises(RevocationRefused, match="does not verify with the key"):
        key.update(damaged(data, subkey_revocation(fay)))


def test_a_subkey_revocation_made_by_another_key_is_refused(fay: GnuPGClient) -> None:
    key = held(fay)
    other = GnuPGClient()
    try:
        other_fingerprint = other.generate("Fay <fay@example.com>")
        other.revoke_subkey(other_fingerprint)
        [revocation] = [p for p in PacketPile.from_bytes(
                            bytes(pysequoia.Cert.from_bytes(other.export().encode())))
                        if p.signature_type == SignatureType.SubkeyRevocation]
    finally:
        other.close()
    with pytest.raises(RevocationRefused, match=f"made by the key {other_fingerprint}"):
        key.update(bytes(revocation))


def test_several_revocations_at_once(fay: GnuPGClient) -> None:
    fingerprint = fay.fingerprint()
    key = held(fay)
    fay.revoke_subkey(fingerprint)
    key_revocation = pysequoia.Sig.from_bytes(fay.gen_revoke(fingerprint).encode())
    both = bytes(subkey_revocation(fay)) + bytes(key_revocation)
    updated = key.update(both)
    assert updated.revoked
    assert revoked_parts(updated) == [True, True]


def test_revocations_from_takes_the_revocations_only(fay: GnuPGClient) -> None:
    fingerprint = fay.fingerprint()
    key = held(fay)
    fay.add_subkey(fingerprint, "ed25519", "sign")
    fay.run("--quick-set-expire", fingerprint, "5y")
    fay.revoke_subkey(fingerprint, 1)
    revoked = key.revocations_from(fay.export())
    # The new subkey and the new expiry are left out; the revocation is in.
    assert len(revoked.keys) == len(key.keys)
    assert revoked.expires == key.expires
    assert revoked_parts(revoked) == [False, True]
    # Sent again, nothing is new.
    assert revoked.revocations_from(fay.export()) is revoked


def test_revocations_from_refuses_what_holds_no_revocation(fay: GnuPGClient) -> None:
    key = held(fay)
    fay.run("--quick-set-expire", key.fingerprint, "5y")
    with pytest.raises(KeyParseError, match="holds no revocation"):
        key.revocations_from(fay.export())


def test_revocations_from_refuses_another_key(fay: GnuPGClient) -> None:
    other = GnuPGClient()
    try:
        other.generate("Gus <gus@example.com>")
        with pytest.raises(NotAnUpdate):
            held(fay).revocations_from(other.export())
    finally:
        other.close()


def test_without_gpg_a_subkey_revocation_cannot_be_checked(fay: GnuPGClient) -> None:
    key = held(fay)
    fay.revoke_subkey(key.fingerprint)
    with pytest.raises(CommandUnavailable):
        key.update(fay.export(), sop=SOP(gpg="no-such-gpg-here"))
    # A revocation of the key itself is checked by Sequoia alone.
    assert key.update(fay.gen_revoke(key.fingerprint),
                      sop=SOP(gpg="no-such-gpg-here")).revoked


def test_an_update_without_new_revocations_runs_no_gpg(fay: GnuPGClient) -> None:
    key = held(fay)
    fay.run("--quick-set-expire", key.fingerprint, "5y")
    assert key.update(fay.export(), sop=SOP(gpg="no-such-gpg-here")).expires != key.expires


def test_gpgs_listing_is_read_per_key() -> None:
    listing = (
        b"pub:-:255:22:69FFC6B0F4160AD9:1796016442:::-:::scSC:::::ed25519:::0:\n"
        b"fpr:::::::::76413727CAB9D42A92F3A3DA69FFC6B0F4160AD9:\n"
        b"uid:-::::1796016442::26AF::Zoe <zoe@example.com>::::::::::0:\n"
        b"sig:!::22:69FFC6B0F4160AD9:1796016442::::Zoe:13x::7641:::8:\n"
        b"sig:-::22:4E879C665D586745:1796017229::::Mal:10l::4F6B:::8:\n"
        b"sub:r:255:18:8A26C02008685695:1796016442::::::e:::::cv25519::\n"
        b"fpr:::::::::AAAA26C02008685695AAAA26C02008685695AAAA:\n"
        b"rev:!::22:69FFC6B0F4160AD9:1796016500::::Zoe:28x,00::7641:::8:\n"
        b"sig:!::22:69FFC6B0F4160AD9:not-a-time::::Zoe:18x::7641:::8:\n"
    )
    signatures = parse_check_signatures(listing)
    assert [(s.key[:4], s.signature_class, s.good, s.exportable, s.is_certification,
             s.is_revocation) for s in signatures] == [
        ("7641", 0x13, True, True, True, False),
        ("7641", 0x10, False, False, True, False),
        ("AAAA", 0x28, True, True, False, True),
    ]
    assert signatures[2].created == 1796016500


def test_a_key_read_back_keeps_a_verified_subkey_revocation(fay: GnuPGClient) -> None:
    key = held(fay)
    fay.revoke_subkey(key.fingerprint)
    updated = key.update(fay.export())
    assert revoked_parts(load_certificate(updated.armor)) == [False, True]
