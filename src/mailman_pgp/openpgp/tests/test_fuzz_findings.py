# Test that the inputs the fuzzers found (tests/data/fuzz/, see fuzz/README.md) give a
# result or one of our errors, never a foreign exception or a text that was not verified.

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailman_pgp.openpgp import (
    SOP,
    KeyCannotEncrypt,
    KeyParseError,
    MalformedMessage,
    SecretKeyGiven,
    cleartext_text,
    load_certificate,
    parse_certificate,
    verify_cleartext,
)
from mailman_pgp.openpgp.gnupg import GpgVerdict, parse_status
from mailman_pgp.openpgp.sop import GoodSignature, _good_signatures
from mailman_pgp.openpgp.verification import SignatureStatus

ROOT = Path(__file__).resolve().parents[4]
FINDINGS = ROOT / "tests" / "data" / "fuzz"
ALICE = load_certificate(
    (ROOT / "src/mailman_pgp/mime/tests/data/keys/alice_public.asc").read_bytes())
DAMAGED_CLEARTEXT = "openpgp_cleartext_damaged_signature_line.asc"


def finding(name: str) -> bytes:
    return (FINDINGS / name).read_bytes()


def test_a_cleartext_signature_after_a_damaged_begin_line_is_refused():
    # sqop finds the signature after "-----BEGIN PGP SIGNATURE----&-" and judges it good;
    # cleartext_text() read that line and the armor header after it, which no signature
    # covers, as part of the signed text.
    data = finding(DAMAGED_CLEARTEXT)
    with pytest.raises(MalformedMessage, match="no intact -----BEGIN PGP SIGNATURE"):
        cleartext_text(data)
    with pytest.raises(MalformedMessage, match="no intact -----BEGIN PGP SIGNATURE"):
        verify_cleartext(data, [ALICE])


@dataclass(frozen=True)
class ReadsOtherText(SOP):
    """A SOP command that accepts the signature but reads another text than ours."""

    def inline_verify(self, data, certs):
        good = GoodSignature(datetime.now(UTC), ALICE.fingerprint, ALICE.fingerprint)
        return b"other text\r\n", (good,)


def test_a_good_signature_over_another_text_than_we_read_is_refused():
    intact = finding(DAMAGED_CLEARTEXT).replace(
        b"-----BEGIN PGP SIGNATURE----&-\r\nComment: Not signed: wire the money to account"
        b" 666\r\n", b"-----BEGIN PGP SIGNATURE-----\r\n")
    assert verify_cleartext(intact, [ALICE]).verification.status is SignatureStatus.GOOD
    with pytest.raises(MalformedMessage, match="can be read in two ways"):
        verify_cleartext(intact, [ALICE], sop=ReadsOtherText())


def test_an_empty_status_line_is_skipped():
    # "[GNUPG:] " alone: unpacking its keyword raised ValueError.
    [signature] = parse_status(finding("gpg_status_empty_status_line.txt")).signatures
    assert signature.verdict is GpgVerdict.GOOD


def test_a_signature_time_past_the_year_9999_is_no_time():
    # datetime.fromtimestamp() raised ValueError (year out of range).
    good, missing_key = parse_status(finding("gpg_status_time_beyond_year_9999.txt")).signatures
    assert good.verdict is GpgVerdict.GOOD and good.created is None
    assert missing_key.verdict is GpgVerdict.NO_PUBLIC_KEY and missing_key.created is None


def test_a_sop_time_without_its_zone_is_utc():
    # A naive datetime cannot be compared with the aware ones everywhere else.
    [signature] = _good_signatures(finding("sop_verifications_time_without_zone.txt"))
    assert signature.created.tzinfo is UTC


def test_a_secret_key_with_a_damaged_subkey_loads_without_that_subkey():
    # Sequoia keeps the unreadable subkey packet as an unknown packet, without fingerprint
    # or creation time: an assertion in the key reading failed on it.
    data = finding("openpgp_secret_key_damaged_subkey.asc")
    certificate = load_certificate(data)
    assert [key.fingerprint for key in certificate.keys] == [certificate.fingerprint]
    with pytest.raises(SecretKeyGiven):
        parse_certificate(data)


def test_a_key_with_an_unreadable_subkey_is_read_without_it():
    # Dave's key with a second subkey packet of an unknown version, and a subkey revocation
    # after it: reading the key, and looking for its revocations, tripped assertions that
    # every key packet has a fingerprint.
    data = finding("openpgp_key_unreadable_subkey_revoked.pgp")
    held = load_certificate(data)
    assert len(held.keys) == 2 and not held.revoked
    with pytest.raises(KeyParseError, match="holds no revocation of the key"):
        held.revocations_from(data)


@pytest.mark.parametrize("name, message", [
    # A signature naming its issuer by a fingerprint of a version pysequoia does not know:
    # reading the packets raised RuntimeError("Unknown kind of fingerprint").
    ("openpgp_key_issuer_fingerprint_of_unknown_version.pgp", "packets that this list"),
    ("openpgp_secret_key_issuer_fingerprint_of_unknown_version.asc", "packets that this list"),
    # A packet of the reserved tag 15 after the key: RuntimeError("Unknown packet tag: 15").
    ("openpgp_key_unknown_packet_tag.pgp", "packets that this list"),
    # A primary key of algorithm 58: RuntimeError("Unknown public key algorithm: 58") while
    # the error saying that the algorithm cannot be used was being written.
    ("openpgp_key_unknown_algorithm.pgp", "uses unknown58, an algorithm this list cannot"),
])
def test_what_pysequoia_cannot_hand_over_is_a_key_parse_error(name, message):
    data = finding(name)
    with pytest.raises(KeyParseError, match=message) as raised:
        load_certificate(data)
    assert isinstance(raised.value.__cause__, RuntimeError)
    with pytest.raises(KeyParseError, match=message):
        parse_certificate(data)


def test_a_subkey_of_an_unknown_algorithm_is_listed_and_not_used():
    # Alice's key whose encryption subkey names algorithm 148: listing the key's parts
    # raised RuntimeError("Unknown public key algorithm: 148").
    data = finding("openpgp_key_subkey_unknown_algorithm.pgp")
    certificate = load_certificate(data)
    assert [key.algorithm_name for key in certificate.keys] == ["ed25519", "unknown148"]
    with pytest.raises(KeyCannotEncrypt):
        parse_certificate(data)


def test_a_signature_of_an_unknown_type_counts_for_nothing():
    # Frank's key with the subkey binding's type byte changed to 0x32: reading the key's
    # parts raised RuntimeError("Unknown signature type: 0x32"). The subkey is then bound
    # by nothing, so the key is read and refused as unable to encrypt.
    data = finding("openpgp_key_signature_of_unknown_type.asc")
    held = load_certificate(data)
    assert len(held.keys) == 2 and not any(key.can_encrypt for key in held.keys)
    with pytest.raises(KeyCannotEncrypt):
        parse_certificate(data)
