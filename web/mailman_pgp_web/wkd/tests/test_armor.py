# Test that armored keys come back to the exact binary GnuPG exports, and that broken
# armor is refused rather than served.

import pytest

from mailman_pgp.testing.gnupg import GnuPGClient
from mailman_pgp_web.wkd.armor import ArmorError, crc24, dearmor


@pytest.fixture(scope="module")
def gpg():
    client = GnuPGClient()
    client.generate("Crypt <crypt@example.com>")
    yield client
    client.close()


def test_dearmor_is_gnupgs_binary_export(gpg):
    armored = gpg.export()
    binary = gpg.run("--export").output
    assert armored.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert dearmor(armored) == binary


def test_armor_headers_are_skipped(gpg):
    armored = gpg.run("--armor", "--comment", "a comment: with a colon", "--export").output
    assert b"Comment: a comment" in armored
    assert dearmor(armored.decode()) == gpg.run("--export").output


def test_crc24_of_rfc_example():
    # RFC 9580 section 6.1 defines the CRC; its value for b"" is the initial value.
    assert crc24(b"") == 0xB704CE


def test_wrong_checksum_refused(gpg):
    lines = gpg.export().splitlines()
    checksum_at = next(i for i, line in enumerate(lines) if line.startswith("="))
    lines[checksum_at] = "=AAAA"
    with pytest.raises(ArmorError, match="checksum"):
        dearmor("\n".join(lines))


@pytest.mark.parametrize("text", [
    "",
    "not armor",
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n",
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----\n",
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n",
])
def test_broken_armor_refused(text):
    with pytest.raises(ArmorError):
        dearmor(text)
