# Test that the messages the fuzzers found (tests/data/fuzz/, see fuzz/README.md) are signed,
# copied or refused as documented, instead of crashing the MIME layer with a foreign error.

from email.header import decode_header, make_header
from pathlib import Path

import pytest

from mailman_pgp.mime import (
    MalformedPGPMIME,
    MIMEError,
    UnreadableEntity,
    canonical_bytes,
    carries_secret_key,
    entity_bytes,
    parse_entity,
    split_signed,
    without_key_blocks,
)
from mailman_pgp.mime.entity import decoded_body, subparts

FINDINGS = Path(__file__).resolve().parents[4] / "tests" / "data" / "fuzz"


def finding(name: str) -> bytes:
    return (FINDINGS / name).read_bytes()


def signable(data: bytes) -> bytes:
    """The canonical form of ``data``, checked to come back unchanged from a new parse."""
    canonical = canonical_bytes(parse_entity(data))
    assert canonical.isascii()
    assert canonical_bytes(parse_entity(canonical)) == canonical
    return canonical


def test_a_forwarded_message_from_an_utf8_address_can_be_signed():
    # formataddr() refused the address (UnicodeEncodeError): it has no 7-bit form, so
    # the header is encoded as text.
    canonical = signable(finding("mime_forwarded_utf8_address.eml"))
    forwarded = subparts(subparts(parse_entity(canonical))[1])[0]
    assert str(make_header(decode_header(forwarded["From"]))) == (
        "Jürgen <jürgen@bücher.example>")


def test_text_with_a_lone_carriage_return_keeps_one_canonical_form():
    # Quoted-printable kept the CR, which the generator then wrote as a line break, so
    # the canonical form changed each time it was written; such text goes in base64.
    data = finding("mime_text_8bit_lone_cr.eml")
    canonical = signable(data)
    assert decoded_body(parse_entity(canonical)) == decoded_body(parse_entity(data))


def test_an_8bit_header_under_a_charset_name_with_a_nul_can_be_signed():
    # bytes.decode() raised ValueError (embedded null character) for the charset name.
    canonical = signable(finding("mime_8bit_header_charset_with_nul.eml"))
    assert b"Subject: =?unknown-8bit?" in canonical


@pytest.mark.parametrize("name", [
    "mime_key_pasted_8bit_in_us_ascii.eml",  # UnicodeEncodeError from set_payload()
    "mime_key_pasted_unknown_charset.eml",  # LookupError from bytes.decode()
])
def test_a_pasted_key_is_cut_from_text_its_charset_cannot_carry(name):
    copy = without_key_blocks(parse_entity(finding(name)))
    assert copy.get_content_charset() == "utf-8"
    text = decoded_body(copy).decode("utf-8")
    assert text.startswith("Grüße, here is my key:")
    assert "[OpenPGP key block]" in text
    assert "BEGIN PGP" not in text
    assert entity_bytes(copy)


@pytest.mark.parametrize("name, secret", [
    ("mime_secret_key_pasted_before_damaged_armor.eml", True),
    ("mime_secret_key_pasted_cut_off.eml", True),
    ("mime_public_key_pasted_cut_off.eml", False),
])
def test_a_key_beside_damaged_armor_or_cut_off_is_noticed_and_cut(name, secret):
    # Damaged armor anywhere in the part hid every key block in it: the secret key went
    # unnoticed and stayed whole in the copy a reply may quote.
    msg = parse_entity(finding(name))
    assert carries_secret_key(msg) is secret
    copy = entity_bytes(without_key_blocks(msg))
    assert b"KEY BLOCK" not in copy
    assert b"key set\n\n[OpenPGP key block]\n" in copy


def test_a_header_with_a_form_feed_before_a_name_cannot_be_signed():
    # The generator folded "From: alice\fSubject: forged" into two header lines and
    # raised HeaderParseError instead of refusing to sign.
    with pytest.raises(MIMEError, match="header of its own"):
        canonical_bytes(parse_entity(finding("mime_header_form_feed_before_a_name.eml")))


def test_a_pasted_key_is_cut_from_text_whose_content_type_holds_8bit_bytes():
    # set_payload() raised TypeError: the 8-bit Content-Type came back as a Header, which
    # cannot take the charset parameter.
    copy = without_key_blocks(parse_entity(finding("mime_key_pasted_8bit_content_type.eml")))
    assert copy.get_content_type() == "text/plain"
    assert decoded_body(copy) == b"My key:\n[OpenPGP key block]\nthanks\n"


def test_an_attachment_named_in_8bit_utf8_is_signed_with_its_name_in_rfc2231_form():
    # The Content-Type and Content-Disposition were written as RFC 2047 encoded words,
    # which no reader takes for a type or a disposition.
    canonical = signable(finding("mime_attachment_name_in_8bit_utf8.eml"))
    attachment = subparts(parse_entity(canonical))[1]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "Grüße.pdf"


def test_a_content_type_in_8bit_bytes_cannot_be_signed():
    # Encoded as words, "multipart/mixed\xff\xff" became text/plain once read again: the
    # canonical form changed at each round.
    with pytest.raises(MIMEError, match="Content-Type header of a part holds 8-bit"):
        canonical_bytes(parse_entity(finding("mime_content_type_8bit.eml")))


def test_a_signed_multipart_without_its_boundary_and_a_charset_with_nul_is_malformed():
    # subparts() called get_payload(), which decoded the 8-bit body with the charset
    # parameter and raised ValueError (embedded null character).
    with pytest.raises(MalformedPGPMIME, match="boundary"):
        split_signed(parse_entity(finding("mime_signed_without_boundary_charset_with_nul.eml")))


def test_a_boundary_in_rfc2231_form_whose_charset_holds_a_nul_is_unreadable():
    # The email package's parser raised ValueError (embedded null character).
    with pytest.raises(UnreadableEntity, match="cannot be parsed as MIME"):
        parse_entity(finding("mime_boundary_in_rfc2231_form_charset_with_nul.eml"))
