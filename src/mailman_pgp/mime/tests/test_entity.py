# Test that MIME entities come back byte for byte from parse_entity -> entity_bytes, and that
# canonical_bytes gives the 7-bit CRLF form RFC 3156 requires without losing content, and that
# parts nested too deep to handle are refused when read.

import re
from email.header import decode_header, make_header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from mailman_pgp.mime import (
    DEPTH_CEILING,
    MAX_DEPTH,
    MIMEError,
    MIMELimits,
    NestedTooDeeply,
    TooManyParts,
    canonical_bytes,
    embedded_bytes,
    entity_bytes,
    mime_depth,
    mime_shape,
    parse_entity,
)
from mailman_pgp.mime.tests.conftest import MESSAGES, message_bytes

CORPUS = sorted(path.name for path in MESSAGES.glob("*.eml"))
PLAIN = [name for name in CORPUS if name.startswith(("plain_", "mixed_", "alternative_"))]


def _with_crlf(data: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", data)


def test_the_table_covers_what_a_decrypted_plaintext_may_hold():
    assert {
        "plain_utf8_8bit.eml", "plain_latin1_8bit_headers.eml",
        "plain_rfc2047_subject_folded.eml", "mixed_binary_attachment_base64.eml",
        "mixed_binary_cte_binary.eml", "alternative_text_html.eml",
    } <= set(PLAIN)


@pytest.mark.parametrize("name", CORPUS)
def test_entity_comes_back_byte_for_byte(name):
    data = message_bytes(name)
    assert entity_bytes(parse_entity(data)) == data


# The parser keeps no line ending of a one-line body before a boundary nor of a one-line
# header, so for these two the line ending cannot be known; see the test after this one.
NO_STORED_LINE_BREAK = {"mixed_forwarded_rfc822.eml", "mixed_nested_no_blank_line.eml"}


@pytest.mark.parametrize("name", sorted(set(PLAIN) - NO_STORED_LINE_BREAK))
def test_entity_with_crlf_line_endings_comes_back_byte_for_byte(name):
    data = _with_crlf(message_bytes(name))
    assert entity_bytes(parse_entity(data)) == data


@pytest.mark.parametrize("name", sorted(NO_STORED_LINE_BREAK))
def test_entity_without_stored_line_break_comes_back_with_lf_unless_told(name):
    data = _with_crlf(message_bytes(name))
    assert entity_bytes(parse_entity(data)) == message_bytes(name)
    assert entity_bytes(parse_entity(data), "\r\n") == data


TEXT_ONLY = [name for name in PLAIN if name != "mixed_binary_cte_binary.eml"]


@pytest.mark.parametrize("name", TEXT_ONLY)
def test_entity_bytes_can_change_the_line_ending(name):
    data = message_bytes(name)
    assert entity_bytes(parse_entity(data), "\r\n") == _with_crlf(data)


def test_binary_part_octets_are_kept_even_when_line_endings_change():
    msg = parse_entity(message_bytes("mixed_binary_cte_binary.eml"))
    written = parse_entity(entity_bytes(msg, "\r\n"))
    assert written.get_payload(1).get_payload(decode=True) == (
        b"\x00\x01\rlone CR\rthen\xff\xfe LF\n and CRLF\r\nend\x00"
    )


def test_embedded_bytes_leave_the_line_ending_before_the_next_boundary_out():
    msg = parse_entity(message_bytes("mixed_nested_no_blank_line.eml"))
    assert embedded_bytes(msg.get_payload(0)) == (
        b'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        b"--inner\r\nContent-Type: text/plain\r\n\r\none\r\n--inner--"
    )


def test_headers_set_by_code_are_rfc_2047_encoded():
    msg = MIMEText("body", "plain", "utf-8")
    msg["Subject"] = "Grüße"
    written = entity_bytes(msg)
    assert max(written) < 128
    assert str(make_header(decode_header(parse_entity(written)["Subject"]))) == "Grüße"


def test_parse_entity_takes_only_bytes():
    with pytest.raises(TypeError, match="takes bytes"):
        parse_entity("Subject: str\n\nbody\n")


def _content(msg: Message) -> list[bytes]:
    """Decoded leaf payloads up to their line endings, which canonical form makes CRLF."""
    return [
        re.sub(rb"\r\n|\r|\n", b"\n", payload)
        for part in msg.walk()
        if not part.is_multipart() and isinstance(payload := part.get_payload(decode=True), bytes)
    ]


def _header_text(msg: Message, name: str) -> str:
    raw = dict(msg.raw_items())[name].encode("utf-8", "surrogateescape")
    if not raw.isascii():
        # 8-bit header bytes: UTF-8, or the charset of the part they head.
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode(msg.get_content_charset("us-ascii"))
    return str(make_header(decode_header(raw.decode("ascii"))))


# A multipart whose boundary is missing cannot be put in a stable form; see below.
SIGNABLE = [name for name in CORPUS if name != "mime_signed_missing_boundary.eml"]


@pytest.mark.parametrize("name", SIGNABLE)
def test_canonical_bytes_are_7bit_crlf_and_safe_for_smtp(name):
    canonical = canonical_bytes(parse_entity(message_bytes(name)))
    assert max(canonical) < 128
    assert re.search(rb"(?<!\r)\n|\r(?!\n)", canonical) is None
    lines = canonical.split(b"\r\n")
    assert not [line for line in lines if line.startswith(b"From ")]
    assert not [line for line in lines if line.endswith((b" ", b"\t"))]
    assert max(len(line) for line in lines) <= 998


def test_canonical_bytes_refuse_a_multipart_without_its_boundaries():
    msg = parse_entity(message_bytes("mime_signed_missing_boundary.eml"))
    with pytest.raises(MIMEError, match="none of its boundaries"):
        canonical_bytes(msg)
    assert msg.get_boundary() is None


@pytest.mark.parametrize("name", SIGNABLE)
def test_canonical_bytes_keep_the_content(name):
    original = parse_entity(message_bytes(name))
    canonical = parse_entity(canonical_bytes(original))
    assert _content(canonical) == _content(original)
    for header in ("Subject", "From"):
        if header in original:
            assert _header_text(canonical, header) == _header_text(original, header)


@pytest.mark.parametrize("name", SIGNABLE)
def test_canonical_bytes_are_a_fixed_point(name):
    canonical = canonical_bytes(parse_entity(message_bytes(name)))
    assert canonical_bytes(parse_entity(canonical)) == canonical


def test_canonical_bytes_of_a_multipart_without_boundary_are_stable():
    msg = MIMEMultipart()
    msg.attach(MIMEText("From here\n", "plain", "utf-8"))
    assert msg.get_boundary() is None
    assert canonical_bytes(msg) == canonical_bytes(msg)
    assert msg.get_boundary() is not None


def test_canonical_bytes_do_not_change_the_message():
    data = message_bytes("plain_from_lines_trailing_whitespace.eml")
    msg = parse_entity(data)
    canonical_bytes(msg)
    assert entity_bytes(msg) == data


def test_canonical_bytes_protect_from_lines_and_trailing_whitespace():
    canonical = canonical_bytes(
        parse_entity(message_bytes("plain_from_lines_trailing_whitespace.eml"))
    )
    assert b"Content-Transfer-Encoding: quoted-printable\r\n" in canonical
    assert b"=46rom the start." in canonical
    assert b"Tab at the end=09\r\n" in canonical


def test_canonical_bytes_base64_encode_binary_parts_even_when_they_look_like_text():
    msg = parse_entity(
        b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n"
        b"two\nlines\n"
    )
    canonical = parse_entity(canonical_bytes(msg))
    assert canonical["Content-Transfer-Encoding"] == "base64"
    assert canonical.get_payload(decode=True) == b"two\nlines\n"


def test_canonical_bytes_label_safe_8bit_parts_7bit():
    msg = parse_entity(b"Content-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\nascii\n")
    assert b"Content-Transfer-Encoding: 7bit\r\n" in canonical_bytes(msg)


def nested(levels: int) -> bytes:
    """A text part inside ``levels`` multipart/mixed parts, each inside the last."""
    head = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                    for i in range(levels))
    tail = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(levels)))
    return head + b"Content-Type: text/plain\r\n\r\ntext" + tail


def test_parts_nested_up_to_the_limit_are_read_and_can_be_signed() -> None:
    entity = parse_entity(nested(MAX_DEPTH))
    assert mime_depth(entity) == MAX_DEPTH
    assert mime_depth(parse_entity(canonical_bytes(entity))) == MAX_DEPTH


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 400, 5000])
def test_parts_nested_deeper_are_refused_with_a_sentence(levels: int) -> None:
    with pytest.raises(NestedTooDeeply, match=f"more than {MAX_DEPTH} levels deep"):
        parse_entity(nested(levels))


def many_parts(count: int) -> bytes:
    """A multipart/mixed entity of ``count`` text parts."""
    parts = b"".join(b"--m\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i
                     for i in range(count))
    return b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n' + parts + b"--m--\r\n"


def test_parts_are_counted_with_the_multipart_that_holds_them() -> None:
    assert mime_shape(parse_entity(many_parts(10))) == (1, 11)
    assert mime_shape(parse_entity(nested(3))) == (3, 4)


def test_more_parts_than_the_limit_are_refused_with_a_sentence() -> None:
    limits = MIMELimits(parts=10)
    with pytest.raises(TooManyParts, match="holds 11 MIME parts, more than the 10 this list"):
        parse_entity(many_parts(10), limits=limits)
    assert len(parse_entity(many_parts(9), limits=limits).get_payload()) == 9


def test_the_default_part_limit_admits_a_message_with_hundreds_of_attachments() -> None:
    assert mime_shape(parse_entity(many_parts(500)))[1] == 501
    with pytest.raises(TooManyParts):
        parse_entity(many_parts(1000))


def test_a_site_chooses_its_depth_within_the_ceiling() -> None:
    assert mime_depth(parse_entity(nested(40), limits=MIMELimits(depth=40))) == 40
    with pytest.raises(NestedTooDeeply, match="more than 5 levels deep"):
        parse_entity(nested(6), limits=MIMELimits(depth=5))
    with pytest.raises(ValueError, match="from 1 to 100"):
        MIMELimits(depth=DEPTH_CEILING + 1)
