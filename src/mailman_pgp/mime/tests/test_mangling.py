# Test that PGP/MIME which a list, a gateway or Exchange rearranged on the way is recognised
# and given back as multipart/encrypted with the ciphertext unchanged and the added text
# dropped, and that nothing else passes as mangled PGP/MIME.

import base64
import copy

import pytest

from mailman_pgp.mime import (
    MalformedPGPMIME,
    MessageKind,
    classify,
    encrypted_payload,
    entity_bytes,
    parse_entity,
)
from mailman_pgp.mime.mangling import (
    MAX_ADDED_TEXT,
    MAX_WRAPPINGS,
    Mangling,
    mangling_of,
    repaired,
)
from mailman_pgp.mime.tests.conftest import MESSAGES, message_bytes
from mailman_pgp.testing.client_mail import exchange_mixed_up, footer_wrapped

ORIGINAL = "mime_encrypted_thunderbird_style.eml"
FOOTER = "_______________________________________________\nA list -- a@example.org\n"
# Mangled forms of ORIGINAL kept as seeds of the fuzz harnesses (fuzz/harness.py reads
# every .eml here); this test keeps them in step with the builders.
SEEDS = {
    "mime_encrypted_mangled_footer.eml": lambda: footer_wrapped(message_bytes(ORIGINAL), FOOTER),
    "mime_encrypted_mangled_mixed_up.eml": lambda: exchange_mixed_up(message_bytes(ORIGINAL)),
}


def ciphertext() -> bytes:
    """The armored ciphertext of ORIGINAL, LF line ends as the builders write them."""
    return encrypted_payload(parse_entity(message_bytes(ORIGINAL))).replace(b"\r\n", b"\n")


def wrapped(times: int, **kwargs) -> bytes:
    data = message_bytes(ORIGINAL)
    for _ in range(times):
        data = footer_wrapped(data, FOOTER, boundary=f"==wrap{_}==", **kwargs)
    return data


def part(content_type: str, body: str, cte: str = "7bit") -> str:
    return f"Content-Type: {content_type}\nContent-Transfer-Encoding: {cte}\n\n{body}"


def mixed(*parts: str, boundary: str = "b0") -> bytes:
    delimiter = f"\n--{boundary}\n"
    return (
        f'From: a@example.com\nSubject: s\nContent-Type: multipart/mixed; boundary="{boundary}"\n'
        f"\n--{boundary}\n" + delimiter.join(parts) + f"\n--{boundary}--\n"
    ).encode()


def encrypted_entity(protocol: str = "application/pgp-encrypted") -> str:
    armor = ciphertext().decode("ascii")
    return (
        f'Content-Type: multipart/encrypted; protocol="{protocol}"; boundary="e0"\n\n'
        "--e0\n" + part("application/pgp-encrypted", "Version: 1\n")
        + "\n--e0\n" + part("application/octet-stream", armor) + "\n--e0--"
    )


@pytest.mark.parametrize(
    ("data", "mangling"),
    [
        pytest.param(lambda: wrapped(1), Mangling.WRAPPED, id="footer"),
        pytest.param(lambda: wrapped(1, header="Header text\n"), Mangling.WRAPPED,
                     id="header-and-footer"),
        pytest.param(lambda: mixed(part("text/plain", FOOTER), encrypted_entity()),
                     Mangling.WRAPPED, id="footer-first"),
        pytest.param(lambda: wrapped(MAX_WRAPPINGS), Mangling.WRAPPED, id="wrapped-by-each-list"),
        pytest.param(lambda: exchange_mixed_up(message_bytes(ORIGINAL)), Mangling.MIXED_UP,
                     id="exchange-mixed-up"),
    ],
)
def test_a_mangled_message_is_repaired_to_its_ciphertext_and_read_as_encrypted(data, mangling):
    msg = parse_entity(data())
    before = entity_bytes(msg)
    assert mangling_of(msg) is mangling
    assert classify(msg) is MessageKind.PGP_MIME_ENCRYPTED

    fixed = repaired(msg)
    assert fixed.get_content_type() == "multipart/encrypted"
    assert fixed.get_param("protocol") == "application/pgp-encrypted"
    assert encrypted_payload(fixed) == ciphertext()
    [sent] = [part for part in msg.walk()
              if part.get_content_type() == "application/octet-stream"]
    assert fixed.get_payload()[1] is sent
    assert "A list" not in fixed.as_string()
    assert fixed["From"] == msg["From"] and fixed["Subject"] == msg["Subject"]
    # The repair builds a new message; the one that arrived is left as it was.
    assert entity_bytes(msg) == before


def test_the_repaired_message_decrypts_with_gnupg(corpus_gpg):
    for data in (wrapped(2), exchange_mixed_up(message_bytes(ORIGINAL))):
        fixed = repaired(parse_entity(data))
        opened = corpus_gpg.decrypt(encrypted_payload(fixed))
        assert opened.has("DECRYPTION_OKAY")
        assert b"protected-headers" in opened.output


def test_a_well_formed_message_is_its_own_repair():
    msg = parse_entity(message_bytes(ORIGINAL))
    assert mangling_of(msg) is Mangling.NONE
    assert repaired(msg) is msg


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: wrapped(MAX_WRAPPINGS + 1), id="wrapped-too-often"),
        pytest.param(lambda: mixed(encrypted_entity(), part("application/pdf", "JVBERi0x")),
                     id="beside-an-attachment"),
        pytest.param(lambda: mixed(encrypted_entity(), part("text/plain", "x" * MAX_ADDED_TEXT
                                                            + "x")),
                     id="beside-a-long-text"),
        pytest.param(lambda: mixed(encrypted_entity(), encrypted_entity()), id="two-encrypted"),
        pytest.param(lambda: mixed(part("text/plain", "a"), encrypted_entity(),
                                   part("text/plain", "b"), part("text/plain", "c")),
                     id="four-parts"),
        pytest.param(lambda: mixed(part("text/plain", "a"), part("text/plain", "b"),
                                   encrypted_entity()), id="encrypted-last-of-three"),
        pytest.param(lambda: exchange_mixed_up(message_bytes(ORIGINAL)).replace(
            b"quoted-printable\n\n\n", b"quoted-printable\n\nHello\n"), id="mixed-up-with-text"),
        pytest.param(lambda: exchange_mixed_up(message_bytes(ORIGINAL)).replace(
            b"Content-Type: application/octet-stream", b"Content-Type: image/png"),
            id="mixed-up-wrong-type"),
    ],
)
def test_other_mixed_messages_are_not_taken_for_mangled_pgp_mime(data):
    msg = parse_entity(data())
    assert mangling_of(msg) is Mangling.NONE
    assert classify(msg) is MessageKind.PLAIN
    with pytest.raises(MalformedPGPMIME, match="not multipart/encrypted"):
        repaired(msg)


def test_a_footer_holding_pgp_armor_is_not_an_added_text():
    armor = ciphertext().decode("ascii")
    msg = parse_entity(mixed(encrypted_entity(), part("text/plain", armor)))
    assert mangling_of(msg) is Mangling.NONE
    assert classify(msg) is MessageKind.INLINE_ENCRYPTED


def test_a_wrapped_message_with_a_wrong_protocol_is_read_as_damaged_pgp_mime():
    msg = parse_entity(mixed(encrypted_entity("application/x-other"), part("text/plain", FOOTER)))
    assert classify(msg) is MessageKind.PGP_MIME_ENCRYPTED
    with pytest.raises(MalformedPGPMIME, match="protocol"):
        encrypted_payload(repaired(msg))


def test_a_mixed_up_message_without_version_line_is_read_as_damaged_pgp_mime():
    data = exchange_mixed_up(message_bytes(ORIGINAL)).replace(
        base64.encodebytes(b"Version: 1\n"), base64.encodebytes(b"Version: 2\n"))
    msg = parse_entity(data)
    assert classify(msg) is MessageKind.PGP_MIME_ENCRYPTED
    with pytest.raises(MalformedPGPMIME, match="Version: 1"):
        encrypted_payload(repaired(msg))


def test_a_repaired_message_survives_pickling_and_writing_out():
    fixed = repaired(parse_entity(wrapped(1)))
    again = parse_entity(copy.deepcopy(fixed).as_bytes())
    assert encrypted_payload(again) == ciphertext()


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_the_mangled_seed_files_are_what_the_builders_make(name):
    assert (MESSAGES / name).read_bytes() == SEEDS[name]()


def test_recognising_looks_at_the_top_level_only_however_many_parts_there_are():
    # Parsed without our limits, as Mailman's own parser hands a post on.
    from email import message_from_bytes

    parts = [part("text/plain", "x")] * 5000
    msg = message_from_bytes(mixed(encrypted_entity(), *parts))
    assert mangling_of(msg) is Mangling.NONE
    deep = message_from_bytes(wrapped(3 * MAX_WRAPPINGS))
    assert mangling_of(deep) is Mangling.NONE
    assert classify(deep) is MessageKind.PLAIN
