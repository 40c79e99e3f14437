# Test that a certification of the list's key by a subscriber's key is taken only when it is
# that key's, exportable, over the list key's user ID, and verifies; that nothing else in what
# was sent comes along; and that GnuPG reads the result.

from __future__ import annotations

from collections.abc import Iterator

import pysequoia
import pytest
from pysequoia.packet import PacketPile, SignatureType

from mailman_pgp.openpgp import (
    SOP,
    Certificate,
    CommandUnavailable,
    NotAnUpdate,
    SecretKey,
    generate_key,
    parse_certificate,
)
from mailman_pgp.openpgp.keys import CertificationRefused
from mailman_pgp.testing.gnupg import GnuPGClient


@pytest.fixture
def the_list() -> SecretKey:
    return generate_key("Crypto <crypto@example.com>")


@pytest.fixture
def hal(the_list: SecretKey) -> Iterator[GnuPGClient]:
    """A subscriber's gpg: their own key, and the list's public key imported."""
    client = GnuPGClient()
    client.generate("Hal <hal@example.com>")
    client.import_key(the_list.certificate.armor)
    yield client
    client.close()


def own_key(client: GnuPGClient) -> Certificate:
    return parse_certificate(client.export(client.fingerprint()))


def certifications(certificate: Certificate, key_id: str) -> list[str]:
    """GnuPG's verdicts on the certifications by ``key_id`` that it lists for the key."""
    checker = GnuPGClient()
    try:
        checker.import_key(certificate.armor)
        listing = checker.run("--with-colons", "--list-sigs", certificate.fingerprint)
    finally:
        checker.close()
    return [line.split(":")[10] for line in listing.output.decode().splitlines()
            if line.startswith("sig:") and line.split(":")[4] == key_id]


def test_a_certification_by_the_subscribers_key_is_merged(
        hal: GnuPGClient, the_list: SecretKey) -> None:
    hal.certify(the_list.fingerprint)
    certifier = own_key(hal)
    certified = the_list.certificate.certified_by(hal.export(the_list.fingerprint), certifier)
    assert certified.fingerprint == the_list.fingerprint
    assert certified.armor != the_list.certificate.armor
    assert certifications(certified, certifier.fingerprint[-16:]) == ["10x"]
    # Nothing else changed: same user IDs, same subkeys, and the list still signs with it.
    assert (certified.user_ids, certified.keys) == (the_list.certificate.user_ids,
                                                    the_list.certificate.keys)
    # Sent again: the same certificate.
    again = certified.certified_by(hal.export(the_list.fingerprint), certifier)
    assert again.armor == certified.armor


def test_only_the_certifiers_certifications_are_taken(
        hal: GnuPGClient, the_list: SecretKey) -> None:
    other = GnuPGClient()
    try:
        other.generate("Ivy <ivy@example.com>")
        other.import_key(the_list.certificate.armor)
        other.certify(the_list.fingerprint)
        other_id = other.fingerprint()[-16:]
        hal.import_key(other.export(the_list.fingerprint))
    finally:
        other.close()
    hal.certify(the_list.fingerprint)
    certifier = own_key(hal)
    certified = the_list.certificate.certified_by(hal.export(the_list.fingerprint), certifier)
    assert certifications(certified, certifier.fingerprint[-16:]) == ["10x"]
    assert certifications(certified, other_id) == []


def test_a_certification_by_another_key_is_refused(
        hal: GnuPGClient, the_list: SecretKey) -> None:
    # Hal's certification, sent as if it were a stranger's.
    hal.certify(the_list.fingerprint)
    stranger = generate_key("Jo <jo@example.com>").certificate
    with pytest.raises(CertificationRefused, match=f"by the key {stranger.fingerprint}"):
        the_list.certificate.certified_by(hal.export(the_list.fingerprint), stranger)


def test_a_certification_that_does_not_verify_is_refused(
        hal: GnuPGClient, the_list: SecretKey) -> None:
    hal.certify(the_list.fingerprint)
    data = bytes(pysequoia.Cert.from_bytes(hal.export(the_list.fingerprint).encode()))
    [certification] = [p for p in PacketPile.from_bytes(data)
                       if p.signature_type == SignatureType.GenericCertification]
    at = data.index(certification.body) + len(certification.body) - 3
    forged = data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1:]
    with pytest.raises(CertificationRefused, match="does not verify"):
        the_list.certificate.certified_by(forged, own_key(hal))


def test_a_local_certification_is_not_taken(hal: GnuPGClient, the_list: SecretKey) -> None:
    hal.run("--quick-lsign-key", the_list.fingerprint)
    # Exported on purpose with it: gpg leaves local certifications out by default.
    data = hal.run("--armor", "--export-options", "export-local-sigs", "--export",
                   the_list.fingerprint).output
    assert [p.exportable for p in PacketPile.from_bytes(data)
            if p.signature_type == SignatureType.GenericCertification] == [False]
    with pytest.raises(CertificationRefused, match="carries no certification"):
        the_list.certificate.certified_by(data, own_key(hal))


def test_another_key_is_not_the_list_key(hal: GnuPGClient, the_list: SecretKey) -> None:
    with pytest.raises(NotAnUpdate, match=f"not the key {the_list.fingerprint}"):
        the_list.certificate.certified_by(hal.export(hal.fingerprint()), own_key(hal))


def test_a_key_does_not_certify_itself(the_list: SecretKey) -> None:
    with pytest.raises(CertificationRefused, match="cannot certify itself"):
        the_list.certificate.certified_by(the_list.certificate.armor, the_list.certificate)


def test_without_gpg_a_certification_cannot_be_checked(
        hal: GnuPGClient, the_list: SecretKey) -> None:
    hal.certify(the_list.fingerprint)
    with pytest.raises(CommandUnavailable):
        the_list.certificate.certified_by(hal.export(the_list.fingerprint), own_key(hal),
                                          sop=SOP(gpg="no-such-gpg-here"))
