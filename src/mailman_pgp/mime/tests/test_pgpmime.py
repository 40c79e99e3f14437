# Test that PGP/MIME messages made by GnuPG-based clients are read so that their signatures
# verify and their ciphertext decrypts, and that the messages we build survive Mailman's ways
# of writing, pickling and sending a message with their signatures intact.

import io
import pickle
import re
import smtplib
import socket
from email.generator import BytesGenerator
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32

import pytest
from aiosmtpd.controller import Controller

from mailman_pgp.mime import (
    MalformedPGPMIME,
    MIMEError,
    SignedParts,
    build_encrypted,
    build_signed,
    canonical_bytes,
    encrypted_payload,
    entity_bytes,
    parse_entity,
    split_signed,
)
from mailman_pgp.mime.entity import decoded_body
from mailman_pgp.mime.tests.conftest import message_bytes
from mailman_pgp.mime.tests.data.make_corpus import BINARY, BODY
from mailman_pgp.testing import client_mail

TEXT_WITH_TRAPS = (
    "Grüße aus Zürich\n"
    "From the list, a line that starts with From.\n"
    "trailing tab\t\n"
    "trailing spaces   \n"
    + "x" * 1200 + "\n"
    ". a line with a dot\n"
    "\n"
)


def signed_by(gpg, entity, micalg, **kws):
    """``entity`` built into multipart/signed, signed by ``gpg`` over its canonical bytes."""
    data = canonical_bytes(entity)
    return build_signed(data, gpg.sign_detached(data), micalg, **kws)



def _between_boundaries(wire: bytes, boundary: str) -> bytes:
    """The first part of a multipart as it stands on the wire, cut out without a parser."""
    delimiter = b"--" + boundary.encode()
    start = wire.index(delimiter) + len(delimiter)
    start = wire.index(b"\n", start) + 1
    end = wire.index(b"\n" + delimiter, start)
    return re.sub(rb"\r?\n", b"\r\n", wire[start:end].removesuffix(b"\r"))


def _client_made(alice, name: str) -> bytes:
    if name == "thunderbird":
        return client_mail.thunderbird_signed(alice, "Grüße", BODY, attachment=("a.bin", BINARY))
    return client_mail.mutt_signed(alice, "mutt", BODY)


@pytest.mark.parametrize("transport", ["crlf_wire", "lf_delivered"])
@pytest.mark.parametrize("client", ["thunderbird", "mutt"])
def test_signed_bytes_of_client_messages_verify_with_gpg(alice, client, transport):
    wire = _client_made(alice, client)
    data = wire if transport == "crlf_wire" else client_mail.as_delivered(wire)
    parts = split_signed(parse_entity(data))
    assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "GOODSIG"
    assert parts.micalg == ("pgp-sha256" if client == "thunderbird" else "pgp-sha512")
    boundary = parse_entity(data).get_boundary()
    assert parts.signed_bytes == _between_boundaries(data, boundary)


# Signed parts the email generator would write back differently: a trailing space in a
# header and on a folded header line, an empty-looking continuation, a nested multipart
# whose closing boundary is followed directly by the outer boundary, an 8-bit body.
QUIRKY_PARTS = {
    "header_trailing_space": b"Content-Type: text/plain; charset=us-ascii \r\n\r\nbody\r\n",
    "folded_header_trailing_space": (
        b"Content-Type: text/plain; \r\n\tcharset=us-ascii\r\nX-Note: a \r\n  b\r\n\r\nx\r\n"
    ),
    "nested_close_then_outer_boundary": (
        b'Content-Type: multipart/mixed; boundary="in"\r\n\r\n--in\r\n'
        b"Content-Type: text/plain\r\n\r\none\r\n--in--"
    ),
    "eight_bit_body": (
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Grüße\r\n".encode()
    ),
}


@pytest.mark.parametrize("quirk", QUIRKY_PARTS)
def test_signed_bytes_are_the_raw_part_not_a_regenerated_one(alice, quirk):
    part = QUIRKY_PARTS[quirk]
    wire = (
        b'Content-Type: multipart/signed; micalg=pgp-sha256;\r\n protocol="application/pgp-'
        b'signature"; boundary="out"\r\n\r\n--out\r\n' + part + b"\r\n--out\r\n"
        b"Content-Type: application/pgp-signature\r\n\r\n"
        + alice.sign_detached(part) + b"\r\n--out--\r\n"
    )
    for data in (wire, client_mail.as_delivered(wire)):
        parts = split_signed(parse_entity(data))
        assert parts.signed_bytes == part
        assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "GOODSIG"


def test_signed_bytes_survive_pickling_of_the_received_message(alice):
    received = parse_entity(client_mail.as_delivered(_client_made(alice, "thunderbird")))
    parts = split_signed(pickle.loads(pickle.dumps(received, pickle.HIGHEST_PROTOCOL)))
    assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "GOODSIG"


def test_split_signed_gives_the_signed_entity_itself(alice):
    msg = parse_entity(_client_made(alice, "thunderbird"))
    parts = split_signed(msg)
    assert isinstance(parts, SignedParts)
    assert parts.content is msg.get_payload(0)
    assert parts.content.get_content_type() == "multipart/mixed"
    assert parts.content.get_payload(1).get_payload(decode=True) == BINARY
    assert parts.signature.startswith(b"-----BEGIN PGP SIGNATURE-----")


def test_a_changed_signed_part_fails_verification(alice):
    msg = parse_entity(_client_made(alice, "mutt"))
    text = msg.get_payload(0)
    text.set_payload(text.get_payload().replace("Alice", "Mallory"))
    parts = split_signed(msg)
    assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "BADSIG"


def _text_content() -> Message:
    return MIMEText(TEXT_WITH_TRAPS, "plain", "utf-8")


def _mixed_content() -> Message:
    mixed = MIMEMultipart()
    mixed.attach(MIMEText(TEXT_WITH_TRAPS, "plain", "utf-8"))
    mixed.attach(MIMEApplication(BINARY, Name="data.bin"))
    mixed.attach(MIMEText("<p>Grüße</p>\n", "html", "utf-8"))
    return mixed


def _received_8bit_content() -> Message:
    # A decrypted plaintext as clients send it inside encryption: 8-bit, raw headers.
    return parse_entity(message_bytes("alternative_text_html.eml"))


def _latin1_content() -> Message:
    return parse_entity(message_bytes("plain_latin1_8bit_headers.eml"))


def _nested_content() -> Message:
    return parse_entity(message_bytes("mixed_nested_no_blank_line.eml"))


def _as_string(msg: Message) -> bytes:
    return msg.as_string().encode("ascii")


def _as_bytes(msg: Message) -> bytes:
    return msg.as_bytes()


def _smtplib_generator(msg: Message) -> bytes:
    # What smtplib.SMTP.send_message does: default generator, From mangling, 78 columns.
    fp = io.BytesIO()
    BytesGenerator(fp).flatten(msg, linesep="\r\n")
    return fp.getvalue()


def _pickled_then_as_string(msg: Message) -> bytes:
    return pickle.loads(pickle.dumps(msg, pickle.HIGHEST_PROTOCOL)).as_string().encode("ascii")


CONTENTS = {
    "text": _text_content,
    "mixed_with_binary": _mixed_content,
    "received_8bit_alternative": _received_8bit_content,
    "received_latin1_headers": _latin1_content,
    "nested_no_blank_line": _nested_content,
}
WRITERS = {
    "as_string": _as_string,
    "as_bytes": _as_bytes,
    "smtplib_generator": _smtplib_generator,
    "pickled": _pickled_then_as_string,
}


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("content", CONTENTS)
def test_built_signed_message_verifies_after_being_written_and_reparsed(alice, content, writer):
    entity = CONTENTS[content]()
    signature = alice.sign_detached(canonical_bytes(entity), digest="SHA512")
    built = build_signed(canonical_bytes(entity), signature, "pgp-sha512")
    wire = WRITERS[writer](built)
    parts = split_signed(parse_entity(wire))
    assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "GOODSIG"
    assert parts.micalg == "pgp-sha512"
    assert max(wire) < 128


def _leaf_payloads(msg: Message) -> list[bytes]:
    return [decoded_body(part) for part in msg.walk() if not part.is_multipart()]


@pytest.mark.parametrize("content", CONTENTS)
def test_built_signed_message_carries_the_same_content(alice, content):
    entity = CONTENTS[content]()
    built = signed_by(alice, entity, "pgp-sha256")
    received = split_signed(parse_entity(_as_string(built))).content
    assert _leaf_payloads(received) == _leaf_payloads(entity)


class _Sink:
    def __init__(self):
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(envelope.original_content)
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_sink():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.mark.parametrize("content", CONTENTS)
def test_built_signed_message_verifies_after_smtp(alice, smtp_sink, content):
    sink, port = smtp_sink
    entity = CONTENTS[content]()
    built = signed_by(alice, entity, "pgp-sha256")
    built["From"] = client_mail.ALICE
    built["To"] = client_mail.LIST
    built["Subject"] = "signed"
    sent = pickle.loads(pickle.dumps(built))
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(sent, "alice@example.com", ["test@example.com"])
    wire = sink.received[-1]
    assert _between_boundaries(wire, built.get_boundary()) == canonical_bytes(entity)
    parts = split_signed(parse_entity(wire))
    assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "GOODSIG"


def test_built_signed_message_is_written_with_crlf_to_be_encrypted(alice):
    entity = _mixed_content()
    built = signed_by(alice, entity, "pgp-sha256")
    written = entity_bytes(built)
    assert re.search(rb"(?<!\r)\n", written) is None
    assert _between_boundaries(written, built.get_boundary()) == canonical_bytes(entity)


def test_canonical_bytes_of_a_built_signed_message_keep_its_signature(alice):
    # What the list encrypts to each subscriber: the signed message in canonical form.
    entity = _received_8bit_content()
    built = signed_by(alice, entity, "pgp-sha256")
    plaintext = canonical_bytes(built)
    assert _between_boundaries(plaintext, built.get_boundary()) == canonical_bytes(entity)
    parts = split_signed(parse_entity(plaintext))
    assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "GOODSIG"


def test_build_signed_uses_the_rfc_3156_structure(alice):
    entity = _text_content()
    built = signed_by(alice, entity, "PGP-SHA256")
    assert built.get_content_type() == "multipart/signed"
    assert built.get_param("protocol") == "application/pgp-signature"
    assert built.get_param("micalg") == "pgp-sha256"
    assert [part.get_content_type() for part in built.get_payload()] == [
        "text/plain", "application/pgp-signature"
    ]


def test_build_signed_builds_the_class_asked_for(alice):
    class Mine(Message):
        pass

    entity = _text_content()
    built = signed_by(alice, entity, "pgp-sha256", _class=Mine)
    assert isinstance(built, Mine)
    assert all(isinstance(part, Mine) for part in built.walk())


@pytest.mark.parametrize(
    ("signature", "micalg", "error"),
    [
        (b"not armor", "pgp-sha256", "not a single ASCII-armored PGP signature"),
        (b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n", "pgp-sha256",
         "not a single ASCII-armored PGP signature"),
        (b"-----BEGIN PGP SIGNATURE-----\n\n*\n-----END PGP SIGNATURE-----\n", "pgp-sha256",
         "damaged Radix-64"),
        (None, "sha256", "not a PGP/MIME micalg"),
    ],
    ids=["not_armor", "wrong_armor_kind", "damaged_armor", "bad_micalg"],
)
def test_build_signed_refuses_bad_input(alice, signature, micalg, error):
    entity = _text_content()
    signature = signature or alice.sign_detached(canonical_bytes(entity))
    with pytest.raises(MIMEError, match=error):
        build_signed(canonical_bytes(entity), signature, micalg)


@pytest.mark.parametrize(
    "name", ["plain_utf8_8bit.eml", "mixed_binary_attachment_base64.eml",
             "alternative_text_html.eml", "mixed_binary_cte_binary.eml"]
)
def test_built_encrypted_message_decrypts_to_the_same_bytes(alice, name):
    plaintext = entity_bytes(parse_entity(message_bytes(name)))
    built = build_encrypted(alice.encrypt(plaintext, alice.fingerprint()))
    received = parse_entity(_pickled_then_as_string(built))
    assert alice.decrypt(encrypted_payload(received)).output == plaintext


def test_build_encrypted_uses_the_rfc_3156_structure(alice):
    built = build_encrypted(alice.encrypt(b"x", alice.fingerprint()))
    version, payload = built.get_payload()
    assert built.get_content_type() == "multipart/encrypted"
    assert built.get_param("protocol") == "application/pgp-encrypted"
    assert version.get_content_type() == "application/pgp-encrypted"
    assert version.get_payload().splitlines() == ["Version: 1"]
    assert payload.get_content_type() == "application/octet-stream"
    assert "From" not in built and "To" not in built


def test_build_encrypted_puts_the_envelope_before_the_mime_headers(alice):
    built = build_encrypted(alice.encrypt(b"x", alice.fingerprint()),
                            envelope=[("To", "bart@example.com"), ("From", "anne@example.com")])
    assert built.keys() == ["To", "From", "MIME-Version", "Content-Type"]
    assert built["To"] == "bart@example.com"


def test_build_encrypted_refuses_ciphertext_that_is_not_armored():
    with pytest.raises(MIMEError, match="not a single ASCII-armored PGP message"):
        build_encrypted(b"\x85\x01\x0c binary")


def test_encrypted_payload_of_a_thunderbird_message_decrypts(alice):
    inner = client_mail.thunderbird_inner("Grüße", BODY, "tb")
    msg = parse_entity(client_mail.thunderbird_encrypted(alice, alice.fingerprint(), inner))
    assert alice.decrypt(encrypted_payload(msg)).output == inner


@pytest.mark.parametrize(
    ("name", "reader", "error"),
    [
        ("mime_encrypted_missing_payload.eml", encrypted_payload, "has 1 part, not the two"),
        ("mime_encrypted_wrong_protocol.eml", encrypted_payload,
         "protocol 'application/pgp-signature', not 'application/pgp-encrypted'"),
        ("mime_encrypted_broken_armor.eml", encrypted_payload, "damaged Radix-64"),
        ("mime_encrypted_truncated_armor.eml", encrypted_payload, "has no END PGP MESSAGE"),
        ("mime_signed_one_part.eml", split_signed, "has 1 part, not the two"),
        ("mime_signed_missing_boundary.eml", split_signed, "has no boundary parameter"),
        ("mime_signed_wrong_protocol.eml", split_signed,
         "protocol 'application/pkcs7-signature'"),
        ("mime_signed_no_micalg.eml", split_signed, "no micalg parameter"),
        ("mime_signed_thunderbird_style.eml", encrypted_payload,
         "multipart/signed, not multipart/encrypted"),
        ("mime_encrypted_thunderbird_style.eml", split_signed,
         "multipart/encrypted, not multipart/signed"),
        ("plain_utf8_8bit.eml", split_signed, "text/plain, not multipart/signed"),
    ],
)
def test_malformed_pgp_mime_raises_saying_what_is_wrong(name, reader, error):
    with pytest.raises(MalformedPGPMIME, match=error):
        reader(parse_entity(message_bytes(name)))


def _encrypted(version: str, payload_type: str, payload: str) -> bytes:
    return (
        'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; '
        'boundary="b"\n\n--b\nContent-Type: application/pgp-encrypted\n\n'
        f"{version}\n--b\nContent-Type: {payload_type}\n\n{payload}\n--b--\n"
    ).encode()


ARMOR = "-----BEGIN PGP MESSAGE-----\n\nhF4DdRS1\n-----END PGP MESSAGE-----"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (_encrypted("Version: 2", "application/octet-stream", ARMOR), "does not say Version: 1"),
        (_encrypted("Version: 1", "text/plain", ARMOR), "text/plain, not the application/oct"),
        (_encrypted("Version: 1", "application/octet-stream", "\x85binary"),
         "holds no armored PGP message"),
        (_encrypted("Version: 1", "application/octet-stream", ARMOR + "\n" + ARMOR),
         "more than one armored PGP message"),
        (b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; '
         b'boundary="b"\n\nno boundary in here\n', "boundary of the multipart/encrypted"),
        (b'Content-Type: multipart/signed; protocol="application/pgp-signature"; '
         b'micalg=pgp-sha256; boundary="b"\n\n--b\n\ntext\n--b\nContent-Type: text/plain\n\n'
         b"x\n--b--\n", "text/plain, not application/pgp-signature"),
    ],
    ids=["wrong_version", "payload_not_octet_stream", "payload_not_armored",
         "two_armor_blocks", "boundary_not_in_body", "signature_part_wrong_type"],
)
def test_malformed_structures_raise_saying_what_is_wrong(data, error):
    msg = parse_entity(data)
    reader = split_signed if msg.get_content_type() == "multipart/signed" else encrypted_payload
    with pytest.raises(MalformedPGPMIME, match=error):
        reader(msg)


def test_built_messages_carry_the_compat32_policy():
    # Built messages carry the compat32 policy Mailman expects.
    assert build_encrypted(ARMOR.encode()).policy is compat32
