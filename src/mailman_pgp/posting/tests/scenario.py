"""A PGP list with subscribers who use real gpg, and Mailman's real runners, for tests.

`People` are the subscribers' clients (one throwaway GNUPGHOME each). `PGPListScenario`
sets a list up inside Mailman's test layers the way an administrator would
(`make_pgp_list`, `set_address_key`), posts as a subscriber's client would, and drives
Mailman's own runners until the post is delivered or refused.
"""

from __future__ import annotations

import email
from collections import defaultdict
from dataclasses import dataclass, field
from email.message import Message
from email.utils import make_msgid

from mailman_pgp.testing.client_mail import (
    headers_text,
    inline_message,
    pgp_mime_message,
    text_body,
)
from mailman_pgp.testing.gnupg import GnuPGClient


@dataclass
class Person:
    """A subscriber: address, and a gpg client holding their key pair (None: no key)."""

    email: str
    client: GnuPGClient | None = None
    fingerprint: str | None = None


@dataclass
class People:
    """The cast of a test session; `close` stops every gpg agent."""

    by_name: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Person:
        return self.by_name[name]

    def add(self, name: str, email_address: str, *, key: str | None = None,
            algorithm: str = "future-default", keyless: bool = False) -> Person:
        """A person with a new gpg key (``algorithm``), an imported one (``key``), or none."""
        person = Person(email_address)
        if not keyless:
            person.client = GnuPGClient()
            if key is not None:
                person.client.import_key(key)
                person.fingerprint = person.client.fingerprint(email_address)
            else:
                person.fingerprint = person.client.generate(
                    f"{name.title()} <{email_address}>", algorithm)
        self.by_name[name] = person
        return person

    def close(self) -> None:
        for person in self.by_name.values():
            if person.client is not None:
                person.client.close()


class PGPListScenario:
    """One PGP list in Mailman's test database, its members, and the mail it sends."""

    def __init__(self, smtpd, people: People, list_address: str = "crypto@example.com"):
        from mailman.app.lifecycle import create_list
        from mailman.database.transaction import transaction

        from mailman_pgp.app.lists import make_pgp_list

        self.smtpd = smtpd
        self.people = people
        with transaction():
            self.mlist = create_list(list_address)
            self.pgp_list = make_pgp_list(self.mlist)
        self.list_key = self.pgp_list.public_key
        self.list_fingerprint = self.pgp_list.fingerprint
        for person in people.by_name.values():
            if person.client is not None:
                person.client.import_key(self.list_key)

    def subscribe(self, *names: str, keys: bool = True) -> None:
        """Subscribe ``names``; with ``keys``, register each one's key as confirmed."""
        from mailman.database.transaction import transaction
        from mailman.interfaces.usermanager import IUserManager
        from mailman.utilities.datetime import now
        from zope.component import getUtility

        from mailman_pgp.app.keys import set_address_key

        users = getUtility(IUserManager)
        with transaction():
            for name in names:
                person = self.people[name]
                # A user with the address, as Mailman makes for a person who joins.
                address = (users.get_address(person.email)
                           or users.make_user(person.email).addresses[0])
                address.verified_on = now()
                self.mlist.subscribe(address, send_welcome_message=False)
                if keys and person.client is not None:
                    set_address_key(person.email, person.client.export(person.email),
                                    confirmed=True)

    # -- posting, as a client does ----------------------------------------------------

    def headers(self, sender: Person, subject: str) -> dict[str, str]:
        return {
            "From": sender.email,
            "To": self.mlist.posting_address,
            "Subject": subject,
            "Message-ID": make_msgid(domain="client.example.org"),
        }

    def pgp_mime_post(self, sender: Person, text: str, *, subject: str = "A post",
                      encrypt_to: str | None = None, signer: Person | None = None,
                      sign: bool = True, inner: bytes | None = None) -> bytes:
        """A PGP/MIME post of ``text`` made with gpg: signed and encrypted in one go."""
        signer = signer or sender
        client = signer.client if sign else sender.client
        assert client is not None, "a post is made by a person with a gpg client"
        armor = client.encrypt(
            inner if inner is not None else text_body(text),
            encrypt_to or self.list_fingerprint,
            signer.email if sign else None,
        )
        return pgp_mime_message(armor, self.headers(sender, subject))

    def inline_post(self, sender: Person, text: str, *, subject: str = "An inline post") -> bytes:
        """An inline-PGP post: the text signed and encrypted, the armor as the body."""
        assert sender.client is not None, "a post is made by a person with a gpg client"
        armor = sender.client.encrypt(text.encode("utf-8"), self.list_fingerprint,
                                      sender.email)
        return inline_message(armor, self.headers(sender, subject))

    def plain_post(self, sender: Person, text: str, *, subject: str = "A plain post") -> bytes:
        return (
            headers_text(self.headers(sender, subject))
            + "Content-Type: text/plain; charset=utf-8\n"
            + "Content-Transfer-Encoding: 8bit\n\n"
            + text
        ).encode("utf-8")

    # -- Mailman's runners ---------------------------------------------------------------

    def receive(self, raw: bytes) -> None:
        """Hand ``raw`` to the list as its LMTP runner would: into the in queue, to the list."""
        from mailman.app.inject import inject_message
        from mailman.email.message import Message as MailmanMessage

        msg = email.message_from_bytes(raw, MailmanMessage)
        inject_message(self.mlist, msg, to_list=True)

    def send_by_lmtp(self, raw: bytes, to: str | None = None, *,
                     envelope_sender: str | None = None) -> dict[str, tuple[int, bytes]]:
        """Send ``raw`` to the list (or ``to``) through Mailman's LMTP server, as an MTA does.

        The envelope sender is ``envelope_sender``, by default the From address of ``raw``.
        Mailman's LMTP handler runs in a thread of this process (its database session
        is thread-local); it parses the message and queues it in the in queue.
        """
        import smtplib

        from mailman.config import config
        from mailman.runners.lmtp import LMTPController, LMTPHandler

        sender = envelope_sender or email.message_from_bytes(raw)["From"]
        # smtplib sends bytes as given; SMTP wants CRLF line ends.
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        host, port = config.mta.lmtp_host, int(config.mta.lmtp_port)
        server = LMTPController(LMTPHandler(), hostname=host, port=port)
        server.start()
        try:
            with smtplib.LMTP(host, port) as client:
                return client.sendmail(sender, [to or self.mlist.posting_address], raw)
        finally:
            server.stop()

    def run_queues(self) -> None:
        """Run Mailman's runners until every queue on the way out is empty."""
        from mailman.config import config
        from mailman.runners.incoming import IncomingRunner
        from mailman.runners.outgoing import OutgoingRunner
        from mailman.runners.pipeline import PipelineRunner
        from mailman.runners.virgin import VirginRunner
        from mailman.testing.helpers import make_testable_runner
        from mailman.utilities.modules import find_name

        # The command runner as configured: the plugin's, wrapping Mailman's.
        command_runner = find_name(getattr(config, "runner.command")["class"])
        runners = [
            ("in", IncomingRunner),
            ("command", command_runner),
            ("pipeline", PipelineRunner),
            ("virgin", VirginRunner),
            ("out", OutgoingRunner),
        ]
        for _ in range(3):
            for name, runner_class in runners:
                if config.switchboards[name].files:
                    make_testable_runner(runner_class, name).run()

    def delivered(self) -> dict[str, list[Message]]:
        """What the SMTP sink received, by envelope recipient, with the raw bytes attached."""
        received: dict[str, list[Message]] = defaultdict(list)
        for msg in self.smtpd.messages:
            for recipient in msg["X-RcptTo"].split(","):
                received[recipient.strip()].append(msg)
        return dict(received)
