# Test that protected headers are read in both forms (RFC 9788 hp= and the older
# protected-headers="v1"), written so that both kinds of reader find them, and that hostile
# values (8-bit, unknown charsets, duplicates, huge ones) come back as safe 7-bit text.

from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from mailman_pgp.mime.protected_headers import (
    HP_OUTER,
    MAX_FIELD_LENGTH,
    OBSCURED_SUBJECT,
    HeaderProtection,
    clear_protected_headers,
    decoded_text,
    header_protection,
    read_protected_headers,
    seven_bit_value,
    without_legacy_display,
    write_protected_headers,
)


def entity(content_type: str, *headers: str, body: str = "Hello\r\n") -> bytes:
    head = "".join(f"{header}\r\n" for header in headers)
    return f"Content-Type: {content_type}\r\n{head}\r\n{body}".encode()


def parsed(raw: bytes):
    return message_from_bytes(raw)


@pytest.mark.parametrize(("content_type", "form"), [
    ('text/plain; hp="cipher"', HeaderProtection.RFC9788),
    ("text/plain; hp=clear", HeaderProtection.RFC9788),
    ('multipart/mixed; boundary="b"; protected-headers="v1"',
     HeaderProtection.PROTECTED_HEADERS_V1),
    ('text/plain; hp="cipher"; protected-headers="v1"', HeaderProtection.RFC9788),
    ("text/plain", None),
    ('text/plain; hp="something-else"', None),
    ('text/plain; protected-headers="v2"', None),
])
def test_the_form_is_read_from_the_content_type(content_type, form):
    assert header_protection(parsed(entity(content_type))) is form


@pytest.mark.parametrize("content_type", [
    'text/plain; charset=utf-8; hp="cipher"',
    'text/plain; charset=utf-8; protected-headers="v1"',
])
def test_both_forms_give_the_protected_fields_and_nothing_else(content_type):
    root = parsed(entity(
        content_type,
        "Subject: The real subject", "From: Alice <alice@example.com>",
        "To: crypto@example.com", "Message-ID: <x@example.com>",
        "HP-Outer: Subject: [...]", "X-Mailer: Something", "Organization: Acme"))
    protected = read_protected_headers(root)
    assert protected is not None
    assert dict(protected.fields) == {
        "Subject": "The real subject", "From": "Alice <alice@example.com>",
        "To": "crypto@example.com", "Message-ID": "<x@example.com>"}
    assert protected.get("subject") == "The real subject"
    assert protected.get("Reply-To") is None


def test_an_entity_without_the_mark_has_no_protected_headers():
    assert read_protected_headers(parsed(entity("text/plain", "Subject: Outer?"))) is None


def test_a_field_given_twice_counts_with_its_first_value():
    root = parsed(entity('text/plain; hp="cipher"', "Subject: first", "Subject: second",
                         "Reply-To: a@example.com", "Reply-To: mallory@example.net"))
    protected = read_protected_headers(root)
    assert protected.get("Subject") == "first"
    assert protected.get("Reply-To") == "a@example.com"
    assert [name for name, _ in protected.fields].count("Subject") == 1


def test_a_huge_field_is_left_out_and_named():
    huge = "x " * MAX_FIELD_LENGTH
    root = parsed(entity('text/plain; hp="cipher"', f"Subject: {huge}", "To: a@example.com"))
    protected = read_protected_headers(root)
    assert protected.get("Subject") is None
    assert protected.ignored == ("Subject",)
    assert protected.get("To") == "a@example.com"


def test_eight_bit_values_come_back_as_encoded_words_with_addresses_outside():
    raw = entity('text/plain; hp="cipher"', "From: J\u00fcrgen <j@example.com>",
                 "Subject: Gr\u00fc\u00dfe aus K\u00f6ln")
    protected = read_protected_headers(parsed(raw))
    sender, subject = protected.get("From"), protected.get("Subject")
    assert sender.isascii() and subject.isascii()
    assert sender.endswith(" <j@example.com>")
    assert decoded_text(sender) == "Jürgen <j@example.com>"
    assert decoded_text(subject) == "Grüße aus Köln"


def test_a_folded_value_comes_back_on_one_line():
    root = parsed(entity('text/plain; hp="cipher"', "To: a@example.com,\r\n b@example.com"))
    assert read_protected_headers(root).get("To") == "a@example.com, b@example.com"


@pytest.mark.parametrize("subject", [
    "=?x-no-such-charset?q?Gr=FC=DFe?=",
    "=?utf-8?q?=FF=FE_broken?=",
    "=?utf-8?b?not*base64?=",
])
def test_encoded_words_that_do_not_decode_come_back_decodable(subject):
    root = parsed(entity('text/plain; hp="cipher"', f"Subject: {subject}"))
    value = read_protected_headers(root).get("Subject")
    assert value.isascii()
    # Any reader can decode it now, as the email package does.
    str(make_header(decode_header(value)))


def test_writing_marks_both_forms_and_records_the_outer_fields():
    root = parsed(entity('text/plain; charset=utf-8; protected-headers="v1"',
                         "Subject: old", "X-Other: dropped"))
    write_protected_headers(root, [("From", "A via L <l@example.com>"), ("Subject", "[L] new")],
                            [("From", "A via L <l@example.com>"), ("Subject", OBSCURED_SUBJECT)])
    assert root.get_param("hp") == "cipher"
    assert root.get_param("protected-headers") == "v1"
    assert root.get_param("charset") == "utf-8"
    assert root.get_all("Subject") == ["[L] new"]
    assert "X-Other" not in root
    assert root.get_all(HP_OUTER) == ["From: A via L <l@example.com>", "Subject: [...]"]


def test_what_is_written_reads_back_the_same():
    fields = [("From", "=?utf-8?q?J=C3=BCrgen?= via L <l@example.com>"), ("To", "l@example.com"),
              ("Subject", "=?utf-8?q?=C3=84rger?="), ("Message-ID", "<m@example.com>")]
    root = parsed(entity("text/plain"))
    write_protected_headers(root, fields, [("Subject", OBSCURED_SUBJECT)], encrypted=False)
    again = read_protected_headers(parsed(root.as_bytes()))
    assert again.form is HeaderProtection.RFC9788
    assert list(again.fields) == fields
    assert parsed(root.as_bytes()).get_param("hp") == "clear"


def test_clearing_leaves_only_what_describes_the_content():
    root = parsed(entity('text/plain; charset=utf-8; hp="cipher"; protected-headers="v1"',
                         "Subject: s", "HP-Outer: Subject: [...]", "Content-Language: de",
                         "MIME-Version: 1.0"))
    clear_protected_headers(root)
    assert sorted(root.keys()) == ["Content-Language", "Content-Type", "MIME-Version"]
    assert header_protection(root) is None
    assert root.get_param("charset") == "utf-8"


@pytest.mark.parametrize("first", [
    'text/plain; charset=utf-8; hp-legacy-display="1"',
    'text/rfc822-headers; protected-headers="v1"',
])
def test_a_legacy_display_part_is_removed(first):
    body = (f"--b\r\nContent-Type: {first}\r\n\r\nSubject: old\r\n"
            "--b\r\nContent-Type: text/plain\r\n\r\nThe text\r\n--b--\r\n")
    root = parsed(entity('multipart/mixed; boundary="b"; hp="cipher"', "Subject: s",
                         body=body))
    without_legacy_display(root)
    assert [part.get_content_type() for part in root.get_payload()] == ["text/plain"]


def test_an_ordinary_first_part_stays():
    body = "--b\r\nContent-Type: text/plain\r\n\r\nThe text\r\n--b--\r\n"
    root = parsed(entity('multipart/mixed; boundary="b"', body=body))
    without_legacy_display(root)
    assert len(root.get_payload()) == 1


def test_seven_bit_values_of_plain_ascii_are_left_alone():
    assert seven_bit_value("Subject", "Re: [L] hello") == "Re: [L] hello"
    assert seven_bit_value("To", "A <a@example.com>, b@example.com") == \
        "A <a@example.com>, b@example.com"
