"""Mail built to cost a PGP list work, as anyone on the internet can send it.

Shared by the end-to-end tests of attacks (`test_attacks`) and of the runners under a batch
of hostile mail (`test_runners_keep_running`). Each builder makes the bytes a client (or an
attacker's script) would hand to an MTA; signing and encrypting is done by the person's gpg.
"""

from __future__ import annotations

import os
from email.utils import make_msgid

from mailman_pgp.posting.tests.scenario import Person, PGPListScenario
from mailman_pgp.testing.client_mail import headers_text, pgp_mime_message, text_body


def bomb_post(scenario: PGPListScenario, person: Person, size: int) -> bytes:
    """``size`` bytes of text, signed by ``person``, bzip2-compressed and encrypted: tiny."""
    assert person.client is not None
    inner = text_body("") + b"0" * size
    armor = person.client.run(
        "--armor", "--local-user", person.email, "--recipient", scenario.list_fingerprint,
        "--compress-algo", "bzip2", "--compress-level", "9", "--sign", "--encrypt",
        input=inner).output
    return pgp_mime_message(armor, scenario.headers(person, "A small post"))


def nested(levels: int, text: bytes) -> bytes:
    """A text part inside ``levels`` multipart/mixed parts, each inside the last (CRLF)."""
    head = b"".join(b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (i, i)
                    for i in range(levels))
    tail = b"".join(b"\r\n--n%d--\r\n" % i for i in reversed(range(levels)))
    return head + b"Content-Type: text/plain\r\n\r\n" + text + tail


def many_parts(count: int) -> bytes:
    """A multipart/mixed entity of ``count`` small text parts (CRLF)."""
    parts = b"".join(b"--m\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i
                     for i in range(count))
    return b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n' + parts + b"--m--\r\n"


def with_headers(scenario: PGPListScenario, person: Person, entity: bytes,
                 subject: str) -> bytes:
    """``entity`` as the whole of a mail from ``person`` to the list, unencrypted."""
    headers = headers_text(scenario.headers(person, subject)) + "MIME-Version: 1.0\n"
    return headers.replace("\n", "\r\n").encode() + entity


def truncated(raw: bytes) -> bytes:
    """``raw`` cut in the middle of its armored block, its END line gone, as a lost packet
    or a careless copy leaves it."""
    begin = raw.index(b"-----BEGIN PGP MESSAGE-----")
    end = raw.index(b"-----END PGP MESSAGE-----")
    return raw[: begin + (end - begin) // 2] + b"\r\n" + raw[end + 26:]


def noise(size: int) -> bytes:
    """``size`` random bytes in lines short enough for SMTP (RFC 5321 4.5.3.1.6)."""
    data = os.urandom(size)
    return b"\r\n".join(data[i:i + 200] for i in range(0, size, 200))


def garbage(person: Person, to: str, size: int = 64 * 1024) -> bytes:
    """Random bytes after a few headers: no MIME, no PGP, no text."""
    headers = headers_text({"From": person.email, "To": to, "Subject": "\u2603" * 3,
                            "Message-ID": make_msgid(domain="garbage.example.net")})
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + noise(size)
