"""Mail of the ``key`` commands as a person's mail program sends it, and reading the answers.

Shared by the end-to-end tests of ``key change``, ``key revoke`` and ``key sign``: the
mail goes to the list's -request address through Mailman's LMTP server and runners
(`PGPListScenario`), keys travel as Thunderbird attaches them (``application/pgp-keys``),
signatures are made by the person's gpg, and answers are read as the person's mail program
shows them (decrypted with the person's gpg when they come encrypted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message
from email.utils import make_msgid

from mailman.database.transaction import transaction
from mailman.interfaces.member import MemberRole
from mailman.interfaces.usermanager import IUserManager
from zope.component import getUtility

from mailman_pgp.posting.tests.scenario import People, Person, PGPListScenario
from mailman_pgp.testing.client_mail import (
    headers_text,
    pgp_mime_signed_entity,
    read_as,
    text_body,
    text_of,
)
from mailman_pgp.testing.gnupg import GnuPGClient

ANNE = "anne@example.com"
ZOE = "zoe@example.com"
REQUEST = "crypto-request@example.com"
RESULTS = "The results of your email commands"


def client_of(person: Person) -> GnuPGClient:
    assert person.client is not None, "this person has a gpg client"
    return person.client


def with_keys(text: str, *blocks: str) -> bytes:
    """A ``multipart/mixed`` entity (CRLF): ``text``, then each block attached as
    ``application/pgp-keys``, as Thunderbird attaches keys."""
    boundary = "------------keys7a6b5c"
    parts = [
        f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
        "This is a multi-part message in MIME format.\r\n".encode(),
        f"--{boundary}\r\n".encode() + text_body(text),
    ]
    for number, block in enumerate(blocks, 1):
        parts.append((
            f"\r\n--{boundary}\r\n"
            f'Content-Type: application/pgp-keys; name="key{number}.asc"\r\n'
            f'Content-Disposition: attachment; filename="key{number}.asc"\r\n'
            "Content-Transfer-Encoding: 7bit\r\n\r\n").encode()
            + block.strip().replace("\r\n", "\n").replace("\n", "\r\n").encode())
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts)


def command_mail(person: Person, subject: str, entity: bytes, *,
                 signer: str | None = None, sender: str | None = None) -> bytes:
    """A mail of ``person`` to the -request address whose content is ``entity``;
    PGP/MIME signed by the key ``signer`` (a fingerprint) when given."""
    if signer is not None:
        entity = pgp_mime_signed_entity(entity,
                                        client_of(person).sign_detached(entity, signer))
    headers = headers_text({"From": sender or person.email, "To": REQUEST, "Subject": subject,
                            "Message-ID": make_msgid(domain="client.example.org"),
                            "MIME-Version": "1.0"})
    return headers.replace("\n", "\r\n").encode() + entity


def plain_command(person: Person, subject: str, body: str = "") -> bytes:
    """An unsigned text/plain mail to the -request address."""
    return command_mail(person, subject, text_body(body or "\n"))


def send(scenario: PGPListScenario, raw: bytes) -> dict[str, list[Message]]:
    """Send ``raw`` to the -request address; what the list sent in answer, by recipient."""
    scenario.smtpd.clear()
    assert scenario.send_by_lmtp(raw, to=REQUEST) == {}
    scenario.run_queues()
    return scenario.delivered()


def received(delivered: dict[str, list[Message]], person: Person, subject: str) -> Message:
    """The one message to ``person`` whose subject is ``subject``."""
    [found] = [msg for msg in delivered.get(person.email, []) if msg["Subject"] == subject]
    return found


def reply_text(person: Person, delivered: dict[str, list[Message]]) -> str:
    """The text of the results of ``person``'s commands, as their mail program shows it."""
    return text_of(read_as(client_of(person), received(delivered, person, RESULTS)))


def token_of(person: Person, msg: Message, command: str) -> str:
    """The token on the first line of ``msg`` (``<command> TOKEN``), read decrypted."""
    assert msg.get_content_type() == "multipart/encrypted", "a token travels encrypted"
    found = re.match(rf"{command} ([0-9a-f]+)\n", text_of(read_as(client_of(person), msg)))
    assert found is not None
    return found.group(1)


def encrypted_to(person: Person, msg: Message) -> set[str]:
    """The key IDs ``msg`` (PGP/MIME encrypted) is encrypted to, as gpg reports them."""
    payload = msg.get_payload()
    assert isinstance(payload, list)
    result = client_of(person).decrypt(str(payload[1].get_payload()).encode("ascii"))
    return {line.split()[2] for line in result.status if line.startswith("[GNUPG:] ENC_TO ")}


def encryption_key_ids(person: Person, fingerprint: str) -> set[str]:
    """The key IDs of the encryption subkeys of the key ``fingerprint``."""
    return {subkey[-16:] for subkey, usage in client_of(person).subkeys(fingerprint)
            if "e" in usage}


def make_owner(scenario: PGPListScenario, person: Person) -> None:
    """Make ``person`` an owner of the list as well."""
    with transaction():
        users = getUtility(IUserManager)
        address = users.get_address(person.email) or users.create_address(person.email)
        scenario.mlist.subscribe(address, MemberRole.owner)


def anne_zoe_and_mallory() -> Iterator[People]:
    """The people of the key command tests, each with a gpg of their own; a fixture body."""
    cast = People()
    cast.add("anne", ANNE)
    cast.add("zoe", ZOE)
    cast.add("mallory", "mallory@example.com")
    yield cast
    cast.close()


def list_of_anne_and_zoe(mailman, people: People, *, anne_owns: bool) -> PGPListScenario:
    """The PGP list with Anne and Zoe as members; Anne its owner too if ``anne_owns``."""
    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne", "zoe")
    if anne_owns:
        make_owner(scene, people["anne"])
    return scene
