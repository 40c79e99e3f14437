# Test that WKD names of addresses are the ones GnuPG computes (gpg-wks-client).

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mailman_pgp_web.wkd.hashing import NotAnAddress, WKDAddress, ascii_lower, wkd_hash, zbase32

ADDRESSES = [
    "crypt@example.com",
    "crypt-request@example.com",
    "Joe.Doe@Example.ORG",
    "UPPER+tag@lists.example.net",
    # Only ASCII letters are lower-cased: str.lower() would hash "ünï" instead.
    "ÜNÏ@example.org",
    "a/b%c&d=e@example.org",
]


def wks_client() -> str:
    libexec = subprocess.run(
        ["gpgconf", "--list-dirs", "libexecdir"], capture_output=True, text=True, check=True)
    path = Path(libexec.stdout.strip()) / "gpg-wks-client"
    assert path.exists(), f"{path} missing: install gnupg (scripts/system-deps)"
    return str(path)


@pytest.fixture(scope="module")
def gnupg_hashes() -> dict[str, str]:
    """Address -> WKD hash, as ``gpg-wks-client --print-wkd-hash`` prints them."""
    out = subprocess.run(
        [wks_client(), "--print-wkd-hash", *ADDRESSES],
        capture_output=True, check=True).stdout.decode()
    hashes = {}
    for line in out.splitlines():
        hashed, address = line.split(" ", 1)
        hashes[address] = hashed
    assert len(hashes) == len(ADDRESSES), out
    return hashes


@pytest.mark.parametrize("address", ADDRESSES)
def test_hash_is_gnupgs(address, gnupg_hashes):
    local_part = address.rpartition("@")[0]
    # gpg-wks-client echoes the address with ASCII lower-cased (its mailbox form).
    assert WKDAddress.parse(address).hash == gnupg_hashes[ascii_lower(address)]
    assert wkd_hash(local_part) == gnupg_hashes[ascii_lower(address)]


@pytest.mark.parametrize("address", ["crypt@example.com", "Joe.Doe@Example.ORG"])
def test_advanced_url_path_is_gnupgs(address):
    url = subprocess.run(
        [wks_client(), "--print-wkd-url", address], capture_output=True, text=True,
        check=True).stdout.strip()
    parts = urlsplit(url)
    parsed = WKDAddress.parse(address)
    assert parts.hostname == f"openpgpkey.{parsed.domain}"
    assert parts.path == f"/.well-known/openpgpkey/{parsed.domain}/hu/{parsed.hash}"


def test_zbase32_known_values():
    # RFC 6189's alphabet, bit by bit: 0b00000 -> "y", 0b11111 -> "9"; a byte takes two
    # characters, its last 3 bits padded with zeros on the right.
    assert zbase32(b"") == ""
    assert zbase32(b"\x00") == "yy"
    assert zbase32(b"\xff") == "9h"  # 11111 111(00)
    assert zbase32(b"\x00" * 20) == "y" * 32
    assert zbase32(b"\xff" * 20) == "9" * 32


def test_domain_lower_cased_local_part_kept():
    parsed = WKDAddress.parse("Joe.Doe@Example.ORG")
    assert parsed == WKDAddress("Joe.Doe", "example.org")


@pytest.mark.parametrize("text", ["", "noat", "@example.org", "joe@", "  "])
def test_not_an_address(text):
    with pytest.raises(NotAnAddress):
        WKDAddress.parse(text)
