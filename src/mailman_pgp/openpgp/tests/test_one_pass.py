# Test that the signature GnuPG makes together with the encryption (gpg --sign --encrypt) is
# taken out detached and verifies over the plaintext, and that everything else is refused
# with a typed error: no signature inside, garbage, another recipient, another text.

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mailman_pgp.openpgp import (
    SOP,
    CommandUnavailable,
    DecryptionError,
    MalformedMessage,
    NotSignedInside,
    SecretKey,
    SignatureStatus,
    decrypt_content,
    generate_key,
    one_pass_signature,
    verify_detached,
)
from mailman_pgp.openpgp.tests.key_files import cert
from mailman_pgp.testing.gnupg import GnuPGClient

ALICE = cert("alice_cv25519")
BOB = cert("bob_rsa4096")
TEXT = b"".join(b"Line %03d of a post, signed and encrypted at once.\r\n" % i
                for i in range(100))

RECORDER = """#!/bin/sh
# Records its arguments, and what a /dev/fd/N argument refers to, then fails.
for arg in "$@"; do
  case "$arg" in
    /dev/fd/*) echo "$arg $(stat -L -c %F "$arg")" >> {out} ;;
    *) echo "$arg" >> {out} ;;
  esac
done
exit 1
"""


def signed_encrypted(gnupg: GnuPGClient, list_key: SecretKey, *options: str,
                     text: bytes = TEXT, signers: tuple[str, ...] = ("alice@example.com",)
                     ) -> bytes:
    local_users = [word for signer in signers for word in ("--local-user", signer)]
    return gnupg.run("--armor", *local_users, "--recipient", list_key.fingerprint,
                     *options, "--sign", "--encrypt", input=text).output


@pytest.mark.parametrize("options", [
    pytest.param((), id="default-compression"),
    pytest.param(("--compress-algo", "bzip2"), id="bzip2"),
    pytest.param(("--compress-algo", "none"), id="uncompressed"),
])
def test_gnupgs_one_pass_signature_comes_out_detached_and_verifies(
        gnupg: GnuPGClient, list_key: SecretKey, options: tuple[str, ...]) -> None:
    message = signed_encrypted(gnupg, list_key, "--digest-algo", "SHA384", *options)
    plaintext = decrypt_content(message, list_key)

    signature = one_pass_signature(message, list_key, plaintext)

    assert signature.armor.startswith(b"-----BEGIN PGP SIGNATURE-----")
    assert signature.hash_algorithm == "sha384"
    verification = verify_detached(TEXT, signature.armor, [ALICE])
    assert verification.status is SignatureStatus.GOOD
    assert verification.signer_fingerprint == ALICE.fingerprint
    # And from outside: the author's own GnuPG finds it good over the text.
    assert gnupg.verify_detached(signature.armor, TEXT).has("GOODSIG")


def test_two_signers_with_one_hash_both_come_out(
        gnupg: GnuPGClient, list_key: SecretKey) -> None:
    message = signed_encrypted(gnupg, list_key, "--digest-algo", "SHA512",
                               signers=("alice@example.com", "bob@example.com"))
    signature = one_pass_signature(message, list_key, TEXT)
    assert signature.hash_algorithm == "sha512"
    for author in (ALICE, BOB):
        assert verify_detached(TEXT, signature.armor, [author]).signer_fingerprint == \
            author.fingerprint


def test_an_encrypted_message_without_a_signature_has_none_inside(
        gnupg: GnuPGClient, list_key: SecretKey) -> None:
    message = gnupg.run("--armor", "--recipient", list_key.fingerprint, "--encrypt",
                        input=TEXT).output
    with pytest.raises(NotSignedInside):
        one_pass_signature(message, list_key, TEXT)


def test_a_detached_signature_encrypted_apart_is_not_inside(
        gnupg: GnuPGClient, list_key: SecretKey) -> None:
    # RFC 3156 6.1: what is encrypted is a signature of its own, not a signed message.
    signature = gnupg.sign_detached(TEXT, "alice@example.com")
    message = gnupg.run("--armor", "--recipient", list_key.fingerprint, "--encrypt",
                        input=signature).output
    with pytest.raises(NotSignedInside):
        one_pass_signature(message, list_key, signature)


@pytest.mark.parametrize("message", [
    pytest.param(b"", id="empty"),
    pytest.param(b"garbage, not OpenPGP\n", id="garbage"),
    pytest.param(b"-----BEGIN PGP MESSAGE-----\n\nhQEMA+++\n-----END PGP MESSAGE-----\n",
                 id="broken-armor"),
])
def test_garbage_cannot_be_decrypted(list_key: SecretKey, message: bytes) -> None:
    with pytest.raises(DecryptionError):
        one_pass_signature(message, list_key, TEXT)


def test_a_message_for_another_key_cannot_be_decrypted(
        gnupg: GnuPGClient, list_key: SecretKey) -> None:
    message = signed_encrypted(gnupg, list_key)
    with pytest.raises(DecryptionError):
        one_pass_signature(message, generate_key("Other <other@example.com>"), TEXT)


@pytest.mark.parametrize("plaintext", [
    pytest.param(TEXT.replace(b"\r\n", b"\n"), id="other-line-ends"),
    pytest.param(TEXT + b"more", id="longer"),
    pytest.param(TEXT[:-1], id="shorter"),
])
def test_a_signed_text_other_than_the_plaintext_is_refused(
        gnupg: GnuPGClient, list_key: SecretKey, plaintext: bytes) -> None:
    message = signed_encrypted(gnupg, list_key)
    with pytest.raises(MalformedMessage, match="not the text it decrypts to"):
        one_pass_signature(message, list_key, plaintext)


def test_the_list_key_reaches_sq_through_a_pipe(
        gnupg: GnuPGClient, list_key: SecretKey, tmp_path: Path) -> None:
    script = tmp_path / "recording-sq"
    calls = tmp_path / "calls"
    script.write_text(RECORDER.format(out=calls))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(DecryptionError):
        one_pass_signature(signed_encrypted(gnupg, list_key), list_key, TEXT,
                           sop=SOP(sq=str(script)))
    lines = calls.read_text().splitlines()
    assert lines[:4] == ["packet", "decrypt", "--binary", "--recipient-key"]
    assert lines[4].startswith("/dev/fd/") and lines[4].endswith(" fifo")
    assert len(lines) == 5


def test_a_missing_sq_is_named(gnupg: GnuPGClient, list_key: SecretKey) -> None:
    with pytest.raises(CommandUnavailable, match="'no-such-sq' is not installed"):
        one_pass_signature(signed_encrypted(gnupg, list_key), list_key, TEXT,
                           sop=SOP(sq="no-such-sq"))
