# Test that an Autocrypt header is written as Autocrypt Level 1 says, reads back the same,
# and that headers Level 1 says to ignore (unknown attributes, repeats, bad base64, no key,
# oversized keydata) are refused with a reason.

import base64

import pytest

from mailman_pgp.mime.autocrypt import (
    MAX_KEYDATA,
    AutocryptHeader,
    InvalidAutocrypt,
    parse_autocrypt,
)

KEYDATA = bytes(range(256)) * 3


def test_the_value_names_the_address_the_preference_and_folded_keydata():
    value = AutocryptHeader("crypto@example.com", KEYDATA).value()
    assert value.startswith("addr=crypto@example.com; prefer-encrypt=mutual; keydata=\n ")
    lines = value.split("\n ")[1:]
    assert all(len(line) <= 76 for line in lines)
    assert base64.b64decode("".join(lines)) == KEYDATA


@pytest.mark.parametrize("mutual", [True, False])
def test_a_written_header_reads_back_the_same(mutual):
    header = AutocryptHeader("crypto@example.com", KEYDATA, mutual)
    assert parse_autocrypt(header.value()) == header


def test_underscore_attributes_are_ignored_and_case_does_not_matter():
    keydata = base64.b64encode(KEYDATA).decode()
    parsed = parse_autocrypt(f"_future=1; Addr=a@example.com; KEYDATA={keydata}")
    assert parsed == AutocryptHeader("a@example.com", KEYDATA, False)


@pytest.mark.parametrize(("value", "reason"), [
    ("addr=a@example.com; keydata=AAAA; color=blue", "unknown attribute"),
    ("addr=a@example.com; addr=b@example.com; keydata=AAAA", "twice"),
    ("addr=a@example.com", "needs both"),
    ("keydata=AAAA", "needs both"),
    ("addr=a@example.com; keydata=!!!!", "not base64"),
    ("addr=a@example.com; keydata=", "empty"),
    ("addr=a@example.com; keydata", "no value"),
    ("addr=a@example.com; keydata=" + "A" * (MAX_KEYDATA * 2), "larger"),
])
def test_headers_level_1_ignores_are_refused_with_a_reason(value, reason):
    with pytest.raises(InvalidAutocrypt, match=reason):
        parse_autocrypt(value)


@pytest.mark.parametrize("addr", ["", "no-at-sign", "a b@example.com", "a@example.com; x=y",
                                  "Anne <a@example.com>"])
def test_only_a_plain_address_is_written(addr):
    with pytest.raises(InvalidAutocrypt):
        AutocryptHeader(addr, KEYDATA).value()


def test_a_header_without_key_is_not_written():
    with pytest.raises(InvalidAutocrypt):
        AutocryptHeader("a@example.com", b"").value()
