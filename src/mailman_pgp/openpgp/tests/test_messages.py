# Test that messages GnuPG makes are read with the right signature status, and ours open in GnuPG.

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from mailman_pgp.openpgp import (
    DecryptionError,
    KeyCannotEncrypt,
    KeyExpired,
    KeyRevoked,
    MalformedMessage,
    SecretKey,
    SignatureStatus,
    cleartext_text,
    decrypt,
    encrypt,
    load_certificate,
    sign_detached,
    verify_cleartext,
    verify_detached,
)
from mailman_pgp.openpgp.tests.key_files import cert, key_data
from mailman_pgp.testing.gnupg import GnuPGClient

ALICE = cert("alice_cv25519")
BOB = cert("bob_rsa4096")
CAROL = cert("carol_expired")
DAVE_REVOKED = cert("dave_revoked")
# A time at which carol's key (created 2020-01-01, expired 2020-12-31) was valid.
WHEN_CAROL_WAS_VALID = "20200601T120000!"

# RFC 4880 hash algorithm numbers, as gpg's VALIDSIG reports them.
GPG_HASHES = {"2": "sha1", "8": "sha256", "9": "sha384", "10": "sha512", "11": "sha224"}


@pytest.fixture(scope="module")
def text() -> bytes:
    """About 10 KB of text, as a post would be."""
    return b"".join(b"Line %05d of a post to the list, with some words.\r\n" % i
                    for i in range(200))


def signed_encrypted(gnupg: GnuPGClient, text: bytes, signer: str, recipient: str,
                     *options: str, faked_time: str | None = None) -> bytes:
    return gnupg.run("--armor", "--local-user", signer, "--recipient", recipient,
                     *options, "--sign", "--encrypt", input=text,
                     faked_time=faked_time).output


# What GnuPG sends: signed and encrypted, read by us.

@pytest.mark.parametrize("options", [
    pytest.param((), id="default-compression"),
    pytest.param(("--compress-algo", "bzip2"), id="bzip2"),
    pytest.param(("--compress-algo", "zlib"), id="zlib"),
    pytest.param(("--compress-algo", "none"), id="uncompressed"),
])
def test_gnupg_signed_and_encrypted_is_read_with_a_good_signature(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes, options: tuple[str, ...]) -> None:
    message = signed_encrypted(gnupg, text, "alice@example.com", list_key.fingerprint,
                               *options)
    decrypted = decrypt(message, list_key, verify_with=[BOB, ALICE])
    assert decrypted.plaintext == text
    assert decrypted.verification.status is SignatureStatus.GOOD
    assert decrypted.verification.is_good
    assert decrypted.verification.signer_fingerprint == ALICE.fingerprint
    created = decrypted.verification.created
    assert created is not None and abs((datetime.now(UTC) - created).total_seconds()) < 60


def test_an_rsa4096_signature_is_good(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes) -> None:
    message = signed_encrypted(gnupg, text, "bob@example.com", list_key.fingerprint)
    decrypted = decrypt(message, list_key, verify_with=[BOB])
    assert decrypted.verification.status is SignatureStatus.GOOD
    assert decrypted.verification.signer_fingerprint == BOB.fingerprint


@pytest.mark.parametrize("verify_with", [
    pytest.param([], id="no-certificates"),
    pytest.param([BOB], id="other-certificate"),
])
def test_a_signature_by_a_key_not_given_is_unknown(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes, verify_with: list) -> None:
    message = signed_encrypted(gnupg, text, "alice@example.com", list_key.fingerprint)
    decrypted = decrypt(message, list_key, verify_with=verify_with)
    assert decrypted.plaintext == text
    assert decrypted.verification.status is SignatureStatus.UNKNOWN_KEY
    assert decrypted.verification.signer_fingerprint is None
    assert decrypted.verification.issuer == ALICE.fingerprint


def test_an_unsigned_message_has_no_signature(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes) -> None:
    message = gnupg.run("--armor", "--recipient", list_key.fingerprint, "--encrypt",
                        input=text).output
    decrypted = decrypt(message, list_key, verify_with=[ALICE])
    assert decrypted.plaintext == text
    assert decrypted.verification.status is SignatureStatus.NO_SIGNATURE
    assert not decrypted.verification.is_good


def test_a_signature_by_an_expired_key_is_expired(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes) -> None:
    message = signed_encrypted(gnupg, text, "carol@example.com", list_key.fingerprint,
                               faked_time=WHEN_CAROL_WAS_VALID)
    decrypted = decrypt(message, list_key, verify_with=[CAROL])
    assert decrypted.plaintext == text
    assert decrypted.verification.status is SignatureStatus.EXPIRED_KEY
    assert decrypted.verification.signer_fingerprint == CAROL.fingerprint


def test_a_signature_by_a_revoked_key_is_revoked(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes) -> None:
    message = signed_encrypted(gnupg, text, "dave@example.com", list_key.fingerprint)
    decrypted = decrypt(message, list_key, verify_with=[DAVE_REVOKED])
    assert decrypted.plaintext == text
    assert decrypted.verification.status is SignatureStatus.REVOKED_KEY
    assert decrypted.verification.signer_fingerprint == DAVE_REVOKED.fingerprint


def test_a_tampered_signature_inside_an_encrypted_message_is_bad(
        gnupg: GnuPGClient, list_key: SecretKey) -> None:
    # gpg signs without compression; one byte of the signed text is changed; gpg encrypts
    # the result as it is (--no-literal), so the encryption is intact and the signature not.
    signed = bytearray(gnupg.run("--local-user", "alice@example.com", "--compress-algo",
                                 "none", "--sign", input=b"Pay 100 euros to Alice.\n").output)
    signed[signed.index(b"100")] = ord("9")
    message = gnupg.run("--armor", "--recipient", list_key.fingerprint, "--no-literal",
                        "--compress-algo", "none", "--encrypt", input=bytes(signed)).output
    decrypted = decrypt(message, list_key, verify_with=[ALICE])
    assert decrypted.plaintext == b"Pay 900 euros to Alice.\n"
    assert decrypted.verification.status is SignatureStatus.BAD
    assert decrypted.verification.signer_fingerprint == ALICE.fingerprint


def test_tampered_ciphertext_is_a_decryption_error(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes) -> None:
    message = bytearray(gnupg.run("--recipient", list_key.fingerprint, "--encrypt",
                                  input=text).output)
    message[len(message) // 2] ^= 0x01
    with pytest.raises(DecryptionError):
        decrypt(bytes(message), list_key, verify_with=[ALICE])


def test_a_message_for_another_key_is_a_decryption_error(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes) -> None:
    message = gnupg.run("--armor", "--recipient", "alice@example.com", "--encrypt",
                        input=text).output
    with pytest.raises(DecryptionError, match="not encrypted to this list's key"):
        decrypt(message, list_key)


@pytest.mark.parametrize("garbage", [
    pytest.param(b"Hello, this is plain text.\n", id="plain-text"),
    pytest.param(os.urandom(300), id="random-bytes"),
    pytest.param(b"-----BEGIN PGP MESSAGE-----\n\nhQEMA\n", id="truncated-armor"),
])
def test_garbage_is_a_decryption_error(list_key: SecretKey, garbage: bytes) -> None:
    with pytest.raises(DecryptionError) as raised:
        decrypt(garbage, list_key)
    assert "\n" not in str(raised.value)


# What the list makes, read by GnuPG.

@pytest.mark.parametrize("recipient", [
    pytest.param("alice@example.com", id="cv25519"),
    pytest.param("bob@example.com", id="rsa4096"),
])
def test_what_the_list_encrypts_and_signs_opens_in_gnupg(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes, recipient: str) -> None:
    certificate = ALICE if recipient.startswith("alice") else BOB
    message = encrypt(text, certificate, signer=list_key)
    assert message.startswith(b"-----BEGIN PGP MESSAGE-----")
    done = gnupg.run("--decrypt", input=message)
    assert done.output == text
    status = "\n".join(done.status)
    assert "[GNUPG:] DECRYPTION_OKAY" in status
    validsig = next(line.split() for line in status.splitlines()
                    if line.startswith("[GNUPG:] VALIDSIG"))
    assert validsig[-1] == list_key.fingerprint


def test_encrypting_without_signing_opens_in_gnupg(
        gnupg: GnuPGClient, text: bytes) -> None:
    done = gnupg.run("--decrypt", input=encrypt(text, ALICE))
    assert done.output == text
    assert not done.has("NEWSIG")


def test_a_key_that_can_encrypt_but_not_sign_still_receives(
        gnupg: GnuPGClient, list_key: SecretKey) -> None:
    frank = load_certificate(key_data("frank_encrypt_only.pub.asc"))
    message = encrypt(b"for frank", frank, signer=list_key)
    packets = gnupg.run("--list-packets", input=message, check=False).output.decode()
    assert frank.keys[1].key_id in packets.upper()


@pytest.mark.parametrize(("certificate", "error"), [
    pytest.param(CAROL, KeyExpired, id="expired"),
    pytest.param(DAVE_REVOKED, KeyRevoked, id="revoked"),
    pytest.param(load_certificate(key_data("erin_sign_only.pub.asc")), KeyCannotEncrypt,
                 id="sign-only"),
])
def test_the_list_refuses_to_encrypt_to_an_unusable_key(
        list_key: SecretKey, certificate, error) -> None:
    with pytest.raises(error):
        encrypt(b"secret", certificate, signer=list_key)


def test_a_detached_signature_verifies_in_gnupg_with_the_named_hash(
        gnupg: GnuPGClient, list_key: SecretKey, text: bytes, tmp_path) -> None:
    signature = sign_detached(text, list_key)
    assert signature.armor.startswith(b"-----BEGIN PGP SIGNATURE-----")
    (tmp_path / "data").write_bytes(text)
    (tmp_path / "data.asc").write_bytes(signature.armor)
    verified = gnupg.run("--verify", str(tmp_path / "data.asc"), str(tmp_path / "data"),
                         check=False)
    validsig = verified.line("VALIDSIG")
    assert validsig[-1] == list_key.fingerprint
    assert GPG_HASHES[validsig[8]] == signature.hash_algorithm
    assert verify_detached(text, signature.armor, [list_key.certificate]).is_good


# Detached signatures GnuPG makes.

def gpg_detached(gnupg: GnuPGClient, text: bytes, signer: str,
                 faked_time: str | None = None) -> bytes:
    return gnupg.run("--armor", "--local-user", signer, "--detach-sign", input=text,
                     faked_time=faked_time).output


def test_a_gnupg_detached_signature_is_good(gnupg: GnuPGClient, text: bytes) -> None:
    verification = verify_detached(text, gpg_detached(gnupg, text, "bob@example.com"),
                                   [ALICE, BOB])
    assert verification.status is SignatureStatus.GOOD
    assert verification.signer_fingerprint == BOB.fingerprint


def test_a_detached_signature_over_changed_data_is_bad(
        gnupg: GnuPGClient, text: bytes) -> None:
    signature = gpg_detached(gnupg, text, "alice@example.com")
    verification = verify_detached(text.replace(b"words", b"lies", 1), signature, [ALICE])
    assert verification.status is SignatureStatus.BAD
    assert verification.signer_fingerprint == ALICE.fingerprint


def test_a_damaged_detached_signature_is_bad(gnupg: GnuPGClient, text: bytes) -> None:
    signature = gpg_detached(gnupg, text, "alice@example.com")
    assert verify_detached(text, signature[:80], [ALICE]).status is SignatureStatus.BAD
    assert verify_detached(text, b"garbage", [ALICE]).status is SignatureStatus.BAD


@pytest.mark.parametrize(("signer", "certs", "expected", "faked_time"), [
    pytest.param("alice@example.com", [BOB], SignatureStatus.UNKNOWN_KEY, None,
                 id="unknown-key"),
    pytest.param("carol@example.com", [CAROL], SignatureStatus.EXPIRED_KEY,
                 WHEN_CAROL_WAS_VALID, id="expired-key"),
    pytest.param("dave@example.com", [DAVE_REVOKED], SignatureStatus.REVOKED_KEY, None,
                 id="revoked-key"),
])
def test_a_detached_signature_that_is_not_good_says_why(
        gnupg: GnuPGClient, text: bytes, signer: str, certs: list,
        expected: SignatureStatus, faked_time: str | None) -> None:
    signature = gpg_detached(gnupg, text, signer, faked_time)
    assert verify_detached(text, signature, certs).status is expected


# Cleartext-signed messages GnuPG makes.

CLEARTEXT = b"Hello list,\n- a line starting with a dash\nFrom here, a line\n-- \nAlice\n"
# Trailing whitespace is not part of the signed text (RFC 4880, section 7.1).
SIGNED_TEXT = b"".join(line.rstrip() + b"\n" for line in CLEARTEXT.splitlines())


@pytest.fixture(scope="module")
def clearsigned(gnupg: GnuPGClient) -> bytes:
    return gnupg.run("--local-user", "alice@example.com", "--clearsign",
                     input=CLEARTEXT).output


def test_a_gnupg_cleartext_signature_is_good_and_the_text_undashed(
        clearsigned: bytes) -> None:
    assert b"\n- - a line" in clearsigned
    verified = verify_cleartext(clearsigned, [ALICE])
    assert verified.text == SIGNED_TEXT
    assert verified.verification.status is SignatureStatus.GOOD
    assert verified.verification.signer_fingerprint == ALICE.fingerprint


def test_a_changed_cleartext_is_bad(clearsigned: bytes) -> None:
    verified = verify_cleartext(clearsigned.replace(b"Hello list", b"Hullo list"), [ALICE])
    assert verified.verification.status is SignatureStatus.BAD
    assert verified.text.startswith(b"Hullo list")


def test_a_cleartext_by_an_unknown_key_is_unknown(clearsigned: bytes) -> None:
    verified = verify_cleartext(clearsigned, [BOB])
    assert verified.verification.status is SignatureStatus.UNKNOWN_KEY
    assert verified.text == SIGNED_TEXT


@pytest.mark.parametrize("make", [
    pytest.param(lambda signed: b"Just some text.\n", id="not-signed"),
    pytest.param(lambda signed: b"Unsigned preface\n" + signed, id="text-before"),
    pytest.param(lambda signed: signed + b"Unsigned postscript\n", id="text-after"),
])
def test_text_outside_a_cleartext_signature_is_malformed(clearsigned: bytes, make) -> None:
    with pytest.raises(MalformedMessage):
        verify_cleartext(make(clearsigned), [ALICE])


def test_a_cleartext_with_a_damaged_signature_block_is_malformed(
        clearsigned: bytes) -> None:
    start = clearsigned.index(b"-----BEGIN PGP SIGNATURE-----")
    damaged = clearsigned[:start] + b"-----BEGIN PGP SIGNATURE-----\n\n!!!\n" \
        b"-----END PGP SIGNATURE-----\n"
    with pytest.raises(MalformedMessage):
        verify_cleartext(damaged, [ALICE])


# What the list keeps for itself.


@pytest.mark.parametrize("text", [
    b"hello\n", b"hello", b"- dash line\n-- two\nFrom x\n", b"line\r\nline2\r\n",
    b"trailing   \nspaces\t\n", b"\n\nblank lines\n\n", b"-----BEGIN PGP SIGNATURE-----\n",
    "Grüße — ½ €\n".encode(), b"tab\tinside \t \r\nend",
], ids=["plain", "no-final-newline", "dashes", "crlf", "trailing-blanks", "blank-lines",
        "armor-line-in-text", "utf-8", "mixed"])
def test_the_cleartext_text_is_what_the_sop_command_verifies(
        gnupg: GnuPGClient, text: bytes) -> None:
    signed = gnupg.clearsign(text, "alice@example.com")
    verified = verify_cleartext(signed, [ALICE])
    assert verified.verification.status is SignatureStatus.GOOD
    assert cleartext_text(signed) == verified.text


def test_cleartext_text_refuses_what_is_not_cleartext_signed() -> None:
    with pytest.raises(MalformedMessage):
        cleartext_text(b"-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----\n")
    with pytest.raises(MalformedMessage, match="no empty line"):
        cleartext_text(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n"
                       b"-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n")
