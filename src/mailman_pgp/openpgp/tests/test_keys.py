# Test that keys are parsed, judged, generated and protected as promised, each failure typed.

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pysequoia
import pytest
from pysequoia.packet import PacketPile

from mailman_pgp.errors import PGPError
from mailman_pgp.openpgp import (
    Certificate,
    KeyAlgorithm,
    KeyCannotEncrypt,
    KeyCannotSign,
    KeyExpired,
    KeyParseError,
    KeyRevoked,
    NotAnUpdate,
    NotASingleCertificate,
    RevocationGiven,
    RevocationRefused,
    SecretKey,
    SecretKeyGiven,
    UserIDMismatch,
    decrypt,
    encrypt,
    generate_key,
    load_certificate,
    load_secret_key,
    parse_certificate,
)
from mailman_pgp.openpgp.keys import algorithm_name
from mailman_pgp.openpgp.tests.key_files import cert, key_data
from mailman_pgp.testing.gnupg import GnuPGClient

ALICE_PUB = key_data("alice_cv25519.pub.asc")


def test_a_gnupg_cv25519_key_is_parsed_with_its_identity(gnupg: GnuPGClient) -> None:
    listed = gnupg.run("--with-colons", "--list-keys", "alice@example.com").output.decode()
    gpg_fingerprint = next(line.split(":")[9] for line in listed.splitlines()
                           if line.startswith("fpr:"))
    alice = parse_certificate(ALICE_PUB, email="alice@example.com")
    assert alice.fingerprint == gpg_fingerprint
    assert alice.user_ids == ("Alice <alice@example.com>",)
    assert alice.emails == frozenset({"alice@example.com"})
    assert alice.expires is None
    assert alice.armor.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")


def test_an_rsa4096_key_and_text_input_are_accepted() -> None:
    bob = parse_certificate(key_data("bob_rsa4096.pub.asc").decode("ascii"))
    assert "bob@example.com" in bob.emails


def test_the_address_is_matched_case_insensitively() -> None:
    alice = parse_certificate(ALICE_PUB, email="Alice@EXAMPLE.com")
    assert alice.emails == frozenset({"alice@example.com"})


@pytest.mark.parametrize(("data", "error"), [
    pytest.param(b"this is not a key\n", KeyParseError, id="garbage-text"),
    pytest.param(bytes(range(256)), KeyParseError, id="garbage-bytes"),
    pytest.param(ALICE_PUB[:200], KeyParseError, id="truncated-armor"),
    pytest.param(ALICE_PUB[:-40], KeyParseError, id="armor-without-footer"),
    pytest.param(b"", NotASingleCertificate, id="empty"),
    pytest.param(ALICE_PUB + key_data("bob_rsa4096.pub.asc"), NotASingleCertificate,
                 id="two-certificates"),
    pytest.param(key_data("alice_cv25519.sec.asc"), SecretKeyGiven, id="secret-key"),
    pytest.param(key_data("carol_expired.pub.asc"), KeyExpired, id="expired"),
    pytest.param(key_data("dave_revoked.pub.asc"), KeyRevoked, id="revoked"),
    pytest.param(key_data("erin_sign_only.pub.asc"), KeyCannotEncrypt, id="no-encryption-key"),
    pytest.param(key_data("frank_encrypt_only.pub.asc"), KeyCannotSign, id="no-signing-key"),
])
def test_each_unusable_key_gets_its_own_error(data: bytes, error: type[PGPError]) -> None:
    with pytest.raises(error) as raised:
        parse_certificate(data)
    message = str(raised.value)
    # A sentence for a person: no Rust error text, no backtrace.
    assert message.endswith(".") and "\n" not in message
    assert "backtrace" not in message.lower() and "sequoia" not in message.lower()


def test_a_key_without_the_required_address_is_refused() -> None:
    with pytest.raises(UserIDMismatch, match="bob@example.com"):
        parse_certificate(ALICE_PUB, email="bob@example.com")


def test_expiry_messages_name_the_date_and_errors_derive_from_the_plugin_base() -> None:
    with pytest.raises(KeyExpired, match="2020-12-31") as raised:
        parse_certificate(key_data("carol_expired.pub.asc"))
    assert isinstance(raised.value, PGPError)


def test_a_stored_certificate_loads_without_judgement() -> None:
    carol = load_certificate(key_data("carol_expired.pub.asc"))
    assert carol.expires == datetime(2020, 12, 31, tzinfo=UTC)
    dave = load_certificate(key_data("dave_revoked.pub.asc"))
    assert dave.revoked
    with pytest.raises(KeyRevoked):
        dave.check_usable()


def test_usability_is_judged_at_the_given_time() -> None:
    carol = load_certificate(key_data("carol_expired.pub.asc"))
    carol.check_usable(at=datetime(2020, 6, 1, tzinfo=UTC))
    with pytest.raises(KeyExpired):
        carol.check_usable(at=datetime(2021, 1, 1, tzinfo=UTC))


def test_merging_a_revocation_revokes_the_held_certificate() -> None:
    held = load_certificate(key_data("dave_before_revocation.sec.asc"))
    assert not held.revoked
    merged = held.merge(cert("dave_revoked"))
    assert merged.fingerprint == held.fingerprint
    assert merged.revoked


def test_merging_another_key_is_refused() -> None:
    with pytest.raises(KeyParseError):
        cert("alice_cv25519").merge(cert("bob_rsa4096"))


@pytest.fixture
def erin() -> Iterator[GnuPGClient]:
    """A subscriber's own gpg holding one fresh key, with the revocation certificate gpg
    made beside it."""
    client = GnuPGClient()
    client.generate("Erin <erin@example.com>", expire="2y")
    yield client
    client.close()


def held(client: GnuPGClient) -> Certificate:
    """The key as the list holds it: registered while it was usable."""
    return parse_certificate(client.export())


def unguarded(revocation_file: str) -> str:
    """GnuPG's revocation certificate file without the ':' guarding its armor line."""
    return revocation_file.replace(":-----BEGIN", "-----BEGIN")


def gen_revoke(client: GnuPGClient, fingerprint: str) -> str:
    """What ``gpg --gen-revoke`` prints, answering its questions (reason: compromised)."""
    return client.run("--no-batch", "--command-fd", "0", "--armor", "--gen-revoke",
                      fingerprint, input="y\n1\nThe laptop was stolen\n\ny\n").output.decode()


def gpg_validity(client: GnuPGClient, armor: str) -> str:
    """GnuPG's own reading of a key's validity ("r" for revoked), without importing it."""
    listed = client.run("--with-colons", "--show-keys", input=armor).output.decode()
    return next(line.split(":")[1] for line in listed.splitlines() if line.startswith("pub:"))


@pytest.mark.parametrize("made_by", ["revocs-file", "gen-revoke"])
def test_a_gnupg_revocation_certificate_revokes_the_held_key(
        erin: GnuPGClient, made_by: str) -> None:
    fingerprint = erin.fingerprint()
    key = held(erin)
    revocation = (unguarded(erin.revocation_certificate(fingerprint)) if made_by == "revocs-file"
                  else gen_revoke(erin, fingerprint))
    updated = key.update(revocation)
    assert not key.revoked and updated.revoked
    assert (updated.fingerprint, updated.user_ids) == (key.fingerprint, key.user_ids)
    with pytest.raises(KeyRevoked):
        updated.check_usable()
    with pytest.raises(KeyRevoked):
        encrypt(b"a post", updated)
    # What is stored carries the revocation: GnuPG reads it as revoked, too.
    assert gpg_validity(erin, key.armor) != "r"
    assert gpg_validity(erin, updated.armor) == "r"
    assert load_certificate(updated.armor).revoked


def test_an_exported_update_of_the_same_key_is_merged_even_if_revoked(erin: GnuPGClient) -> None:
    fingerprint = erin.fingerprint()
    key = held(erin)
    erin.run("--quick-set-expire", fingerprint, "5y")
    erin.run("--quick-add-key", fingerprint, "cv25519", "encr", "3y")
    extended = key.update(erin.export())
    assert extended.expires is not None and key.expires is not None
    assert extended.expires > key.expires
    assert len(extended.keys) == len(key.keys) + 1
    extended.check_usable()
    erin.revoke(fingerprint)
    revoked = extended.update(erin.export())
    assert revoked.revoked
    assert len(revoked.keys) == len(extended.keys)


def test_another_key_is_not_an_update(erin: GnuPGClient) -> None:
    with pytest.raises(NotAnUpdate):
        held(erin).update(ALICE_PUB)


def test_a_revocation_made_by_another_key_is_refused(erin: GnuPGClient) -> None:
    key = held(erin)
    # Bart's own revocation certificate, sent for erin's key.
    bart = GnuPGClient()
    try:
        bart_fingerprint = bart.generate("Bart <bart@example.com>")
        bart_revocation = unguarded(bart.revocation_certificate(bart_fingerprint))
    finally:
        bart.close()
    with pytest.raises(RevocationRefused, match=f"made by the key {bart_fingerprint}, not by"
                                                f" the key {key.fingerprint}"):
        key.update(bart_revocation)
    # A revocation of erin's key, signed by a key that is not hers: a real signature over
    # her key, by the wrong key.
    mallory = generate_key("Mallory <mallory@example.com>")
    forged = pysequoia.Cert.from_bytes(key.armor.encode()).revoke(mallory._tsk.certifier())
    with pytest.raises(RevocationRefused, match=f"made by the key {mallory.fingerprint}"):
        key.update(str(forged))


def test_a_revocation_that_does_not_verify_with_the_key_is_refused(erin: GnuPGClient) -> None:
    key = held(erin)
    genuine = pysequoia.Sig.from_bytes(
        unguarded(erin.revocation_certificate(key.fingerprint)).encode())
    # It names erin's key as its issuer, but its signature value is not one her key made.
    damaged = bytearray(bytes(genuine))
    damaged[-5] ^= 0x55
    with pytest.raises(RevocationRefused, match="does not verify with the key"):
        key.update(bytes(damaged))
    assert key.update(bytes(genuine)).revoked


def test_a_certificate_carrying_a_revocation_by_another_key_is_not_revoked(
        erin: GnuPGClient) -> None:
    # pysequoia's is_revoked says yes to any revocation that names another key as its
    # issuer, unverified; a key counts as revoked only by its own, verified revocation.
    key = held(erin)
    mallory = generate_key("Mallory <mallory@example.com>")
    forged = pysequoia.Cert.from_bytes(key.armor.encode()).revoke(mallory._tsk.certifier())
    [primary, *rest] = PacketPile.from_bytes(key.armor.encode())
    carrying = pysequoia.Cert.from_packets([primary, *PacketPile.from_bytes(bytes(forged)),
                                            *rest])
    assert carrying.is_revoked
    assert not load_certificate(str(carrying)).revoked
    assert not key.update(str(carrying)).revoked
    parse_certificate(str(carrying)).check_usable()


@pytest.mark.parametrize(("data", "error", "message"), [
    pytest.param(b"this is not a key\n", KeyParseError, "not a readable", id="garbage"),
    pytest.param(bytes(range(256)), KeyParseError, "not a readable", id="garbage-bytes"),
    pytest.param(b"", NotASingleCertificate, "No OpenPGP key", id="empty"),
    pytest.param("guarded", KeyParseError, "remove the ':'", id="guarded-revocation-file"),
    pytest.param("data-signature", KeyParseError, "not the revocation certificate",
                 id="data-signature"),
    pytest.param("secret", SecretKeyGiven, "secret key", id="own-secret-key"),
])
def test_what_is_neither_an_update_nor_a_revocation_is_refused_saying_why(
        erin: GnuPGClient, data, error: type[PGPError], message: str) -> None:
    key = held(erin)
    data = {
        "guarded": lambda: erin.revocation_certificate(key.fingerprint),
        "data-signature": lambda: erin.sign_detached(b"a post\n"),
        "secret": lambda: erin.export_secret(),
    }.get(data, lambda: data)()
    with pytest.raises(error, match=message) as raised:
        key.update(data)
    text = str(raised.value)
    assert text.endswith(".") and "\n" not in text
    assert "backtrace" not in text.lower() and "sequoia" not in text.lower()


def test_a_revocation_certificate_is_not_a_new_key(erin: GnuPGClient) -> None:
    with pytest.raises(RevocationGiven, match="a revocation certificate, not a public key"):
        parse_certificate(unguarded(erin.revocation_certificate(erin.fingerprint())))


def test_a_generated_list_key_is_v4_usable_and_gnupg_encrypts_to_it(
        gnupg: GnuPGClient, tmp_path) -> None:
    key = generate_key("Generated <generated@example.com>")
    key.certificate.check_usable()
    assert key.certificate.emails == frozenset({"generated@example.com"})
    # GnuPG 2.2 imports it and encrypts to it; we decrypt what it made.
    gnupg.import_key(key.certificate.armor)
    listed = gnupg.run("--with-colons", "--list-keys", key.fingerprint).output.decode()
    assert any(line.startswith("pub:") and ":22:" in line for line in listed.splitlines())
    assert any(line.startswith("sub:") and ":18:" in line for line in listed.splitlines())
    packets = gnupg.run("--list-packets", input=key.certificate.armor.encode()).output
    assert b"version 4" in packets and b"version 6" not in packets
    sent = gnupg.run("--encrypt", "--armor", "-r", key.fingerprint, input=b"to the list\n")
    assert decrypt(sent.output, key).plaintext == b"to the list\n"


def test_the_default_list_key_is_curve25519() -> None:
    key = generate_key("Default <default@example.com>")
    assert [k.algorithm for k in key.certificate.keys] == ["EdDSA", "EdDSA", "ECDH"]


def test_rsa_list_keys_can_be_chosen(gnupg: GnuPGClient) -> None:
    key = generate_key("RSA <rsa@example.com>", KeyAlgorithm.RSA3072)
    assert {k.algorithm for k in key.certificate.keys} == {"RSAEncryptSign"}
    assert key.certificate.algorithm == "rsa3072"
    shown = gnupg.run("--with-colons", "--show-keys",
                      input=key.certificate.armor.encode()).output.decode()
    sizes = {line.split(":")[2] for line in shown.splitlines()
             if line.startswith(("pub:", "sub:"))}
    assert sizes == {"3072"}


def test_a_protected_key_opens_only_with_its_passphrase() -> None:
    key = generate_key("Protected <protected@example.com>")
    stored = key.protect("correct horse battery staple")
    assert key._secret() not in stored
    assert stored.startswith(b"-----BEGIN PGP MESSAGE-----")
    opened = SecretKey.unprotect(stored, "correct horse battery staple")
    assert opened.fingerprint == key.fingerprint
    assert opened._secret() == key._secret()
    with pytest.raises(KeyParseError, match="passphrase"):
        SecretKey.unprotect(stored, "wrong")
    with pytest.raises(KeyParseError):
        SecretKey.unprotect(stored[:100], "correct horse battery staple")


def test_a_protected_key_uses_a_salted_iterated_kdf_and_aes256(gnupg: GnuPGClient) -> None:
    stored = generate_key("KDF <kdf@example.com>").protect("passphrase")
    packets = gnupg.run("--list-packets", input=stored, check=False).output.decode()
    # RFC 4880 symmetric-key session key packet: cipher 9 (AES-256), S2K 3 (iterated and
    # salted) with the largest iteration count.
    assert "cipher 9" in packets and "s2k 3" in packets
    assert "count 65011712" in packets


def test_the_secret_key_stays_out_of_repr() -> None:
    key = generate_key("Repr <repr@example.com>")
    assert repr(key) == f"<SecretKey {key.fingerprint}>"


def test_a_gnupg_secret_key_loads_and_a_public_one_is_not_a_secret_key() -> None:
    alice = load_secret_key(key_data("alice_cv25519.sec.asc"))
    assert alice.certificate.emails == frozenset({"alice@example.com"})
    with pytest.raises(KeyParseError):
        load_secret_key(ALICE_PUB)
    with pytest.raises(KeyParseError):
        load_secret_key(b"garbage")


def test_a_protected_key_can_be_recovered_with_gnupg(gnupg: GnuPGClient) -> None:
    key = generate_key("Recover <recover@example.com>")
    stored = key.protect("recovery passphrase")
    recovered = gnupg.run("--passphrase", "recovery passphrase", "--decrypt", input=stored)
    assert load_secret_key(recovered.output).fingerprint == key.fingerprint


def test_a_signature_without_a_creation_time_added_to_a_key_is_ignored() -> None:
    # Anyone can append such a signature to a public key; reading the key crashed on it.
    hostile = key_data("alice_binding_without_creation_time.pub.asc")
    alice = load_certificate(key_data("alice_cv25519.pub.asc"))
    loaded = load_certificate(hostile)
    assert loaded.fingerprint == alice.fingerprint
    assert [(k.fingerprint, k.can_encrypt, k.expires) for k in loaded.keys] == [
        (k.fingerprint, k.can_encrypt, k.expires) for k in alice.keys]
    assert parse_certificate(hostile, email="alice@example.com").fingerprint == alice.fingerprint


# --- What a key is made of: user IDs, algorithm, creation time -----------------------------


def gnupg_algorithms(client: GnuPGClient, armor: str | bytes) -> list[str]:
    """The algorithm names ``gpg --show-keys`` prints for the primary key and each subkey."""
    shown = client.run("--show-keys", input=armor).output.decode()
    return [line.split()[1] for line in shown.splitlines() if line.startswith(("pub ", "sub "))]


@pytest.fixture(scope="module")
def keymaker() -> Iterator[GnuPGClient]:
    client = GnuPGClient()
    yield client
    client.close()


def made_by_gnupg(client: GnuPGClient, primary: str, subkey: str | None) -> str:
    """A key with a ``primary`` key (certify, sign) and maybe an encryption ``subkey``."""
    address = f"{primary.lower()}@example.com"
    fingerprint = client.generate(f"Key <{address}>", primary)
    if subkey is not None:
        client.run("--quick-add-key", fingerprint, subkey, "encr", "never")
    return client.export(address)


@pytest.mark.parametrize(("primary", "subkey"), [
    ("future-default", None),
    ("rsa2048", "rsa3072"),
    ("dsa2048", "elg2048"),
    ("nistp256", "nistp256"),
    ("nistp384", None),
    ("nistp521", "nistp521"),
])
def test_the_algorithms_are_named_as_gnupg_names_them(
        keymaker: GnuPGClient, primary: str, subkey: str | None) -> None:
    armor = made_by_gnupg(keymaker, primary, subkey)
    loaded = load_certificate(armor)
    names = gnupg_algorithms(keymaker, armor)
    assert [k.algorithm_name for k in loaded.keys] == names
    assert loaded.algorithm == names[0]


@pytest.mark.parametrize("algorithm", [
    # Rejected by Sequoia's policy as too weak.
    "rsa1024",
    # Curves Sequoia cannot check a signature on here.
    "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1", "secp256k1",
])
def test_a_key_of_an_algorithm_sequoia_refuses_is_a_parse_error_naming_it(
        keymaker: GnuPGClient, algorithm: str) -> None:
    armor = made_by_gnupg(keymaker, algorithm, None)
    assert gnupg_algorithms(keymaker, armor) == [algorithm]
    for read in (load_certificate, parse_certificate):
        with pytest.raises(KeyParseError, match=f"uses {algorithm}, an algorithm") as raised:
            read(armor)
        assert "\n" not in str(raised.value) and "backtrace" not in str(raised.value).lower()


def test_the_committed_keys_name_their_algorithms_as_gnupg_does(gnupg: GnuPGClient) -> None:
    for name, expected in [("alice_cv25519", ["ed25519", "cv25519"]),
                           ("bob_rsa4096", ["rsa4096", "rsa4096"])]:
        armor = key_data(f"{name}.pub.asc")
        assert gnupg_algorithms(gnupg, armor) == expected
        assert [k.algorithm_name for k in cert(name).keys] == expected
        assert cert(name).algorithm == expected[0]


def test_a_generated_list_key_names_its_algorithms_as_gnupg_does(gnupg: GnuPGClient) -> None:
    key = generate_key("Default <default@example.com>")
    names = gnupg_algorithms(gnupg, key.certificate.armor)
    assert names == ["ed25519", "ed25519", "cv25519"]
    assert [k.algorithm_name for k in key.certificate.keys] == names


@pytest.mark.parametrize(("body", "fallback", "name"), [
    pytest.param(b"", "PublicKeyAlgorithm.EdDSA", "eddsa", id="empty"),
    pytest.param(b"\x04\x00\x00", "PublicKeyAlgorithm.RSAEncryptSign", "rsaencryptsign",
                 id="cut-before-the-algorithm"),
    pytest.param(b"\x04\x00\x00\x00\x00\x01\x10", "PublicKeyAlgorithm.RSAEncryptSign",
                 "rsaencryptsign", id="cut-in-the-modulus-size"),
    pytest.param(b"\x04\x00\x00\x00\x00\x01\x00\x00", "PublicKeyAlgorithm.RSAEncryptSign",
                 "rsaencryptsign", id="modulus-of-no-bits"),
    pytest.param(b"\x04\x00\x00\x00\x00\x12\x03\x2b\x65\x99",
                 "PublicKeyAlgorithm.ECDH", "ecdh", id="unknown-curve"),
    pytest.param(b"\x04\x00\x00\x00\x00\x12\x09\x2b", "PublicKeyAlgorithm.ECDH",
                 "ecdh", id="cut-in-the-curve"),
    pytest.param(b"\x07\x00\x00\x00\x00\x01\x10\x00", "PublicKeyAlgorithm.RSAEncryptSign",
                 "rsaencryptsign", id="unknown-version"),
    pytest.param(b"\x04\x00\x00\x00\x00\x63", "PublicKeyAlgorithm.Private", "private",
                 id="unknown-algorithm"),
    pytest.param(b"\x06\x00\x00\x00\x00\x1b\x00\x00\x00\x20", "PublicKeyAlgorithm.Ed25519",
                 "ed25519", id="version-6-ed25519"),
    pytest.param(b"\x06\x00\x00\x00\x00\x01\x00\x00\x01\x02\x0c\x00",
                 "PublicKeyAlgorithm.RSAEncryptSign", "rsa3072", id="version-6-rsa"),
    pytest.param(b"\x03\x00\x00\x00\x00\x00\x00\x01\x08\x00",
                 "PublicKeyAlgorithm.RSAEncryptSign", "rsa2048", id="version-3-rsa"),
])
def test_an_algorithm_name_is_read_from_the_key_packet_or_falls_back(
        body: bytes, fallback: str, name: str) -> None:
    assert algorithm_name(body, fallback) == name


def test_user_ids_and_creation_time_of_a_key(gnupg: GnuPGClient) -> None:
    listed = gnupg.run("--with-colons", "--list-keys", "alice@example.com").output.decode()
    created = next(int(line.split(":")[5]) for line in listed.splitlines()
                   if line.startswith("pub:"))
    alice = cert("alice_cv25519")
    assert alice.created == datetime.fromtimestamp(created, UTC)
    assert alice.user_ids == ("Alice <alice@example.com>",)
    # carol's key was made by gpg with its clock set to the first second of 2020.
    assert cert("carol_expired").created == datetime(2020, 1, 1, tzinfo=UTC)


def test_a_revoked_user_id_is_not_among_the_user_ids(keymaker: GnuPGClient) -> None:
    # Made in the past: a revocation in the same second as the certification may not win.
    fingerprint = keymaker.generate("Gina <gina@example.com>", made_at="20200101T000000")
    keymaker.run("--quick-add-uid", fingerprint, "Gina at work <gina@work.example.com>",
                 faked_time="20200102T000000!")
    assert set(load_certificate(keymaker.export(fingerprint)).user_ids) == {
        "Gina <gina@example.com>", "Gina at work <gina@work.example.com>"}
    keymaker.run("--quick-revoke-uid", fingerprint, "Gina at work <gina@work.example.com>")
    assert load_certificate(keymaker.export(fingerprint)).user_ids == (
        "Gina <gina@example.com>",)
