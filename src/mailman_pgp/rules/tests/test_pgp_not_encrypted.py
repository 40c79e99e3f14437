# Test that the pgp-not-encrypted rule passes encrypted posts and refuses the rest, saying why.

from typing import Any

import pytest
from mailman.core.i18n import format_reasons
from mailman.email.message import Message

from mailman_pgp.mime import parse_entity
from mailman_pgp.posting import reasons
from mailman_pgp.rules.pgp_not_encrypted import PGPNotEncrypted
from mailman_pgp.testing.client_mail import inline_message, pgp_mime_message, text_body
from mailman_pgp.testing.gnupg import GnuPGClient

HEADERS = {"From": "anne@example.com", "To": "crypto@example.com", "Subject": "Hi"}


@pytest.fixture(scope="module")
def anne():
    client = GnuPGClient()
    client.generate("Anne <anne@example.com>")
    yield client
    client.close()


def check(raw: bytes) -> tuple[bool, dict]:
    msgdata: dict[str, Any] = {}
    hit = PGPNotEncrypted().check(None, parse_entity(raw, _class=Message), msgdata)
    return hit, msgdata


def test_pgp_mime_and_inline_encrypted_posts_pass(anne):
    armor = anne.encrypt(text_body("hello\n"), "anne@example.com", "anne@example.com")
    for raw in (pgp_mime_message(armor, HEADERS), inline_message(armor, HEADERS)):
        hit, msgdata = check(raw)
        assert hit is False
        assert "moderation_reasons" not in msgdata


def test_a_plain_post_is_refused_as_not_encrypted(mailman):
    hit, msgdata = check(b"From: anne@example.com\nSubject: Hi\n\nhello\n")
    assert hit is True
    assert format_reasons(msgdata["moderation_reasons"]) == [reasons.NOT_ENCRYPTED]
    assert "Your message was not encrypted." in reasons.NOT_ENCRYPTED
    assert msgdata["moderation_sender"] == "anne@example.com"


def test_a_signed_only_post_is_refused_as_signed_but_not_encrypted(mailman, anne):
    hit, msgdata = check(inline_message(anne.clearsign(b"hello\n", "anne@example.com"), HEADERS))
    assert hit is True
    assert format_reasons(msgdata["moderation_reasons"]) == [reasons.SIGNED_NOT_ENCRYPTED]
    assert "signed but not encrypted" in reasons.SIGNED_NOT_ENCRYPTED
