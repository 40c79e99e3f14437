# Test that the pgp-too-complex rule refuses a post whose MIME parts nest deeper, or are more,
# than the [limits] allow, saying which, and passes an encrypted post.

from dataclasses import replace
from typing import Any

from mailman.core.i18n import format_reasons
from mailman.email.message import Message

from mailman_pgp.config import SETTINGS, pgp_config
from mailman_pgp.mime import MIMELimits, parse_entity
from mailman_pgp.rules.pgp_too_complex import PGPTooComplex
from mailman_pgp.testing.client_mail import pgp_mime_message

HEADERS = {"From": "anne@example.com", "To": "crypto@example.com", "Subject": "Hi"}
ARMOR = b"-----BEGIN PGP MESSAGE-----\n\nwcBMA\n-----END PGP MESSAGE-----\n"


def run(raw: bytes) -> tuple[bool, list[str]]:
    msgdata: dict[str, Any] = {}
    hit = PGPTooComplex().check(None, parse_entity(raw, limits=MIMELimits(depth=100,
                                                                          parts=10_000),
                                                   _class=Message), msgdata)
    return hit, format_reasons(msgdata.get("moderation_reasons", []))


def nested(levels: int) -> bytes:
    head = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                    for i in range(levels))
    tail = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(levels)))
    return b"From: anne@example.com\r\n" + head + b"Content-Type: text/plain\r\n\r\nx" + tail


def test_an_encrypted_post_passes(mailman):
    assert run(pgp_mime_message(ARMOR, HEADERS)) == (False, [])


def test_a_post_nested_deeper_than_the_limit_is_refused_saying_so(mailman):
    assert run(nested(32)) == (False, [])
    assert run(nested(33)) == (True, [
        "Your message is more complex than this list reads: The message nests MIME parts"
        " more than 32 levels deep."])


def test_a_post_with_more_parts_than_the_site_allows_is_refused(mailman, monkeypatch):
    monkeypatch.setattr(SETTINGS, "_value",
                        replace(pgp_config(), mime_limits=MIMELimits(parts=3)))
    hit, reasons = run(nested(3))
    assert (hit, reasons) == (True, [
        "Your message is more complex than this list reads: The message holds 4 MIME parts,"
        " more than the 3 this list reads."])
