# Test that the fan-out signs a post once with the list key and encrypts that one signed entity
# to each recipient alone, as PGP/MIME that GnuPG opens and verifies.

from email import message_from_bytes

import pytest
from mailman.email.message import Message

import mailman_pgp.posting.fanout as fanout
from mailman_pgp.mime import envelope_headers, parse_entity
from mailman_pgp.openpgp import generate_key, load_certificate
from mailman_pgp.posting.fanout import fan_out, sign_content
from mailman_pgp.testing.calls import record_calls
from mailman_pgp.testing.client_mail import split_signed_raw, text_body
from mailman_pgp.testing.gnupg import GnuPGClient

TEXT = "Liebe Liste, ½ € — ✓\nFrom the second line on.\n"
POST = (
    b"From: anne@example.com\nTo: crypto@example.com\nSubject: [Crypto] Hello\n"
    b"Message-ID: <1@example.com>\nList-Id: <crypto.example.com>\nMIME-Version: 1.0\n"
    b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\n'
    b"\n--b\n\n--b--\n"
)


@pytest.fixture(scope="module")
def list_key():
    return generate_key("Crypto <crypto@example.com>")


@pytest.fixture(scope="module")
def members(list_key):
    clients = {}
    for name in ("anne", "bert"):
        client = GnuPGClient()
        client.generate(f"{name.title()} <{name}@example.com>")
        client.import_key(list_key.certificate.armor)
        clients[f"{name}@example.com"] = client
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture(scope="module")
def expired():
    client = GnuPGClient()
    client.generate("Old <old@example.com>", expire="1y", made_at="20200101T000000")
    yield load_certificate(client.export("old@example.com"))
    client.close()


def certificates(members):
    return {email: load_certificate(client.export(email)) for email, client in members.items()}


def test_each_copy_opens_for_its_recipient_only_and_carries_the_list_signature(
        list_key, members):
    content = parse_entity(text_body(TEXT), _class=Message)
    post = message_from_bytes(POST, Message)
    copies = list(fan_out(sign_content(content, list_key), envelope_headers(post),
                          certificates(members)))
    assert sorted(copy.recipient for copy in copies) == sorted(members)
    for copy in copies:
        assert copy.problem is None
        msg = message_from_bytes(copy.data, Message)
        assert b"\n" not in copy.data.replace(b"\r\n", b"")
        assert msg.get_content_type() == "multipart/encrypted"
        assert msg["Subject"] == "[Crypto] Hello"
        assert msg["List-Id"] == "<crypto.example.com>"
        assert msg.get_all("Content-Type") == [msg["Content-Type"]]
        assert msg.get_param("protocol") == "application/pgp-encrypted"
        armor = msg.get_payload()[1].get_payload().encode()
        for email, client in members.items():
            opened = client.decrypt(armor)
            if email != copy.recipient:
                assert not opened.has("DECRYPTION_OKAY")
                continue
            assert opened.has("DECRYPTION_OKAY")
            signed, signature = split_signed_raw(opened.output)
            verified = client.verify_detached(signature, signed)
            assert verified.has("GOODSIG")
            assert list_key.fingerprint in next(
                line for line in verified.status if " VALIDSIG " in line)
            inner = message_from_bytes(signed)
            text = inner.get_payload(decode=True).decode(inner.get_content_charset())
            assert text.replace("\r\n", "\n") == TEXT


def test_the_content_is_signed_once_for_all_recipients(list_key, members, monkeypatch):
    calls = record_calls(monkeypatch, fanout, "sign_detached")
    content = parse_entity(text_body(TEXT), _class=Message)
    signed = sign_content(content, list_key)
    copies = list(fan_out(signed, [], certificates(members)))
    assert len(calls) == 1
    assert all(copy.data is not None for copy in copies)


def test_a_recipient_whose_key_expired_gets_no_copy_and_a_reason(list_key, members, expired):
    keys = {**certificates(members), "old@example.com": expired}
    signed = sign_content(parse_entity(text_body(TEXT), _class=Message), list_key)
    copies = {copy.recipient: copy for copy in fan_out(signed, [], keys)}
    assert copies["old@example.com"].data is None
    assert "expired" in copies["old@example.com"].problem
    assert all(copies[email].data is not None for email in members)


def test_envelope_headers_leave_out_what_describes_the_body_as_it_arrived():
    post = message_from_bytes(POST, Message)
    names = [name for name, _ in envelope_headers(post)]
    assert names == ["From", "To", "Subject", "Message-ID", "List-Id"]
