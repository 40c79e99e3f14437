# Test that Mailman's runners, started by Mailman's master in processes of their own as in
# production, keep running through a batch of hostile mail sent together with one good post:
# bombs, broken armor, garbage, deep and wide MIME, PGP inside PGP, and keys built to be slow
# sent to `key set`. The good post is delivered, each hostile one gets its documented outcome
# (refused or held, its author told why), no runner process dies, nothing is shunted.

from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from mailman.config import config
from mailman.interfaces.requests import IListRequests, RequestType
from mailman.testing.helpers import get_queue_messages

from mailman_pgp.posting.tests.scenario import People, Person, PGPListScenario
from mailman_pgp.testing.client_mail import pgp_mime_message, read_as, text_body, text_of
from mailman_pgp.testing.hostile_keys import key_with_user_ids

from .hostile_mail import (
    bomb_post,
    garbage,
    many_parts,
    nested,
    noise,
    truncated,
    with_headers,
)
from .key_commands import command_mail, plain_command, with_keys

# The runners a post and a command pass through; the others stay off.
RUNNERS = ("in", "command", "pipeline", "virgin", "out")
QUEUES = RUNNERS
MEMBERS = ("alice@example.com", "bob@example.com")


@pytest.fixture(scope="module")
def people() -> Iterator[People]:
    cast = People()
    cast.add("alice", "alice@example.com")
    cast.add("bob", "bob@example.com")
    # Strangers who ask to join, then answer the key request with keys built to be slow.
    cast.add("zed", "zed@example.net")
    cast.add("yan", "yan@example.net")
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people) -> PGPListScenario:
    scene = PGPListScenario(mailman, people)
    scene.subscribe("alice", "bob")
    return scene


@pytest.fixture
def runner_processes(mailman, tmp_path, monkeypatch) -> None:
    """Configure Mailman's master to start `RUNNERS` only, each polling its queue often."""
    sections = []
    for section in config.runner_configs:
        name = section.name.partition(".")[2]
        sections.append(f"\n[{section.name}]\n" + (
            "sleep_time: 0.1s\n" if name in RUNNERS else "start: no\n"))
    extra = tmp_path / "runners.cfg"
    base = Path(os.environ["MAILMAN_EXTRA_TESTING_CFG"]).read_text()
    extra.write_text(base + "".join(sections))
    monkeypatch.setenv("MAILMAN_EXTRA_TESTING_CFG", str(extra))


class Master:
    """Mailman's ``master`` in a process of its own, and the runner processes it starts."""

    def __init__(self) -> None:
        master = Path(sys.executable).parent / "master"
        self.process = subprocess.Popen([str(master), "-C", config.filename, "--force"],
                                        stdin=subprocess.DEVNULL)

    def runners(self) -> dict[int, str]:
        """The live runner processes: pid and command line."""
        found = {}
        for pid in _children(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except FileNotFoundError:
                continue
            found[pid] = cmdline.decode(errors="replace")
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # Field 4 (ppid), after the command name in parentheses, which may hold spaces.
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout:g} s: {what}")
        time.sleep(0.1)


def queues_empty() -> bool:
    return all(not config.switchboards[name].files for name in QUEUES)


class Sink:
    """What the SMTP sink received so far, by envelope recipient."""

    def __init__(self, scenario: PGPListScenario) -> None:
        self.scenario = scenario
        self.received: dict[str, list[Message]] = {}

    def collect(self) -> dict[str, list[Message]]:
        for email, messages in self.scenario.delivered().items():
            self.received.setdefault(email, []).extend(messages)
        return self.received

    def texts(self, person: Person) -> list[str]:
        """Everything sent to ``person``, as their mail program shows it, on one line each."""
        return [" ".join(text_of(read_as(person.client, msg) if person.client else msg).split())
                for msg in self.received.get(person.email, [])]


def key_request_token(sink: Sink, person: Person) -> str:
    """The token of the list's request for ``person``'s key (sent when they asked to join)."""
    for msg in sink.collect().get(person.email, []):
        found = re.fullmatch(r"key set ([0-9a-f]+)", str(msg["Subject"]))
        if found:
            return found.group(1)
    raise LookupError(person.email)


def has_token(sink: Sink, person: Person) -> bool:
    try:
        key_request_token(sink, person)
    except LookupError:
        return False
    return True


def test_a_batch_of_hostile_mail_leaves_every_runner_running_and_the_good_post_delivered(
        scenario, people, runner_processes):
    alice, bob, zed, yan = (people[name] for name in ("alice", "bob", "zed", "yan"))
    bob_client = bob.client
    assert bob_client is not None
    posting = scenario.mlist.posting_address
    request = scenario.mlist.request_address
    sink = Sink(scenario)
    # Built before the runners start: a 10,000-user-ID key takes seconds to make.
    ten_thousand = key_with_user_ids(zed.email, 10_000)
    thousand = key_with_user_ids(yan.email, 1_000)
    good = scenario.pgp_mime_post(alice, "The one good post of the batch.\n",
                                  subject="Good post")
    hostile = {
        "bomb": bomb_post(scenario, alice, 64 * 1024 * 1024),
        "truncated-armor": truncated(scenario.pgp_mime_post(alice, "cut\n")),
        "garbage": garbage(alice, posting),
        "garbage-without-headers": noise(4096),
        # Mailman's LMTP server cannot queue a message this deep (pickling it exceeds
        # Python's recursion limit near 190 levels): it answers 550, and the MTA bounces it.
        "mime-200-deep": with_headers(scenario, alice, nested(200, b"deep"), "Deeper"),
        "mime-150-deep": with_headers(scenario, alice, nested(150, b"deep"), "Deep"),
        "mime-2000-parts": with_headers(scenario, alice, many_parts(2000), "Wide"),
        "encrypted-200-deep": scenario.pgp_mime_post(alice, "", inner=nested(200, b"deep")),
        "pgp-inside-pgp": scenario.pgp_mime_post(alice, "", inner=pgp_mime_message(
            bob_client.encrypt(text_body("inner\n"), scenario.list_fingerprint, bob.email),
            {}).replace(b"\n", b"\r\n")),
    }

    master = Master()
    try:
        wait_for(lambda: len(master.runners()) == len(RUNNERS), "all runners started")
        started = master.runners()
        for person in (zed, yan):
            assert scenario.send_by_lmtp(plain_command(person, "join"), to=request) == {}
        wait_for(lambda: has_token(sink, zed) and has_token(sink, yan), "key requests sent")
        for person, armor in ((zed, ten_thousand.armor), (yan, thousand.armor)):
            subject = f"Re: key set {key_request_token(sink, person)}"
            raw = command_mail(person, subject, with_keys("My key.\n", armor))
            assert scenario.send_by_lmtp(raw, to=request) == {}
        at_the_door = {}
        for name, raw in hostile.items():
            try:
                scenario.send_by_lmtp(raw, envelope_sender=alice.email)
            except smtplib.SMTPDataError as error:
                at_the_door[name] = (error.smtp_code, error.smtp_error.decode())
        assert at_the_door == {
            "garbage-without-headers": (501, "Message has defects"),
            "mime-200-deep": (550, "Requested action not taken: mailbox unavailable"),
        }
        assert scenario.send_by_lmtp(good) == {}

        good_id = message_from_bytes(good)["Message-ID"]

        def good_post_delivered() -> bool:
            # Its Subject travels inside the encryption; the copies carry its Message-ID.
            received = sink.collect()
            return all(any(m["Message-ID"] == good_id and m["Precedence"] == "list"
                           for m in received.get(member, [])) for member in MEMBERS)

        wait_for(good_post_delivered, "the good post delivered to every member")
        wait_for(queues_empty, "every queue emptied")
        time.sleep(0.5)
        sink.collect()
        assert master.runners() == started, "a runner process died or was restarted"
    finally:
        master.stop()

    assert get_queue_messages("shunt") == []
    # Each hostile post got its outcome, and its author was told.
    told = sink.texts(alice)
    expected = {
        "bomb": "once decrypted and decompressed, more than this list accepts without a"
                " moderator's approval",
        "truncated-armor": "Your message is not well-formed",
        "garbage": "Your message was not encrypted.",
        "mime-150-deep": "more complex than this list reads: The message nests MIME parts"
                         " more than 32 levels deep",
        "mime-2000-parts": "more complex than this list reads: The message holds 2001 MIME"
                           " parts, more than the 1000 this list reads",
        "encrypted-200-deep": "not well-formed: The message nests MIME parts more than 32"
                              " levels deep",
        "pgp-inside-pgp": "not well-formed: It is encrypted or signed again inside the"
                          " encryption and your signature",
    }
    missing = {name: words for name, words in expected.items()
               if not any(words in text for text in told)}
    assert missing == {}, f"alice was not told: {missing}\n{told}"
    # Only the bomb waits for a moderator; nothing hostile reached a member.
    held = list(IListRequests(scenario.mlist).of_type(RequestType.held_message))
    assert [request.key for request in held] == [
        message_from_bytes(hostile["bomb"])["Message-ID"]]
    for member in MEMBERS:
        copies = [m for m in sink.received[member] if m["Precedence"] == "list"]
        # One copy each, of the good post only (its Subject is inside the encryption).
        assert [m["Message-ID"] for m in copies] == [message_from_bytes(good)["Message-ID"]]
    # The keys built to be slow were refused, each saying which limit.
    assert any(re.search(r"What you sent is 3\d{3} KB; this list reads keys of at most 1024 KB",
                         text) for text in sink.texts(zed)), sink.texts(zed)
    assert any("holds 1000 user IDs; this list reads keys with at most 100" in text
               for text in sink.texts(yan)), sink.texts(yan)
