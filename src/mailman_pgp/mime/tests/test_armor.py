# Test that ASCII armor blocks are found whole and that damaged armor is reported, while a
# wrong CRC-24 line is accepted as RFC 9580 section 6.1 requires.

import pytest

from mailman_pgp.mime.armor import ArmorBlock, check_block, find_blocks
from mailman_pgp.mime.errors import MalformedPGPMIME

GOOD = (
    b"-----BEGIN PGP MESSAGE-----\r\nComment: made by hand\r\n\r\n"
    b"hF4DdRS1rRdR8wwSAQdA\r\n=W1wM\r\n-----END PGP MESSAGE-----\r\n"
)


def test_block_is_found_with_its_offsets():
    data = b"before\r\n" + GOOD + b"after\r\n"
    assert find_blocks(data) == [ArmorBlock("MESSAGE", GOOD, 8, 8 + len(GOOD))]


def test_a_wrong_checksum_is_accepted():
    check_block(find_blocks(GOOD)[0])
    assert find_blocks(GOOD)[0].data.count(b"=W1wM") == 1


def test_armor_not_at_line_start_is_not_a_block():
    assert find_blocks(b"> " + GOOD.replace(b"\r\n", b"\r\n> ")) == []


def test_gnupg_revocation_certificate_colon_is_dropped():
    block = find_blocks(
        b":" + GOOD.replace(b"MESSAGE", b"PUBLIC KEY BLOCK")
    )[0]
    assert block.label == "PUBLIC KEY BLOCK"
    assert block.data.startswith(b"-----BEGIN")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (GOOD.replace(b"Comment: made by hand\r\n\r\n", b"Comment: made by hand\r\n"),
         "damaged armor header or lacks the blank line"),
        (GOOD.replace(b"hF4DdRS1rRdR8wwSAQdA", b"hF4D*RS1"), "damaged Radix-64"),
        (GOOD.replace(b"hF4DdRS1rRdR8wwSAQdA\r\n", b""), "is empty"),
        (GOOD.replace(b"-----END PGP MESSAGE-----", b"-----END PGP SIGNATURE-----"),
         "has no END PGP MESSAGE line"),
    ],
    ids=["no_blank_line", "bad_radix64", "empty", "wrong_end_line"],
)
def test_damaged_armor_raises(data, error):
    with pytest.raises(MalformedPGPMIME, match=error):
        for block in find_blocks(data):
            check_block(block)
