# Test that every post of the GnuPG-made corpus meets the fate the list's policies give it when
# it goes through real Mailman (LMTP, the runners, an SMTP sink): a good post reaches each
# member with a key encrypted to that key and signed by the list, mangled PGP/MIME is
# repaired and delivered, a post that falls short is refused with a notice saying why or
# held; a held post can be approved or rejected over Mailman's REST; and afterwards no
# file under Mailman's var/ holds a word of an encrypted post's plaintext.

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
import requests

from mailman_pgp.interfaces.lists import ACTION_DEFAULTS, PolicyCase
from mailman_pgp.posting.tests.scenario import People, Person, PGPListScenario
from mailman_pgp.testing.client_mail import split_signed_raw, text_of
from mailman_pgp.testing.gnupg import GnuPGClient

from .posts import (
    EXPIRED_LONG_AGO,
    LONG_AGO,
    SIGNED_LONG_AGO,
    CorpusMaker,
    Post,
    write_corpus,
)

# Members whose keys are usable: each copy of a good post goes to them.
READERS = ("alice@example.com", "bob@example.com")
# Members whose keys the list holds but cannot use (revoked, expired): no copies.
UNUSABLE = ("rob@example.com", "erin@example.com")
MEMBERS = READERS + UNUSABLE
# Has a confirmed key but is no member: Mailman holds her posts for the moderator.
NONMEMBER = "nina@example.com"
# A member who takes MIME digests.
DIGEST_READER = "dora@example.com"
# Holds an archive key of the list: reads its encrypted archive.
ARCHIVIST = "archivist@example.com"
# What the sender's notice says, by the policy case that refused the post.
REASONS = {
    PolicyCase.unencrypted: "not encrypted",
    PolicyCase.unsigned: "was not signed",
    PolicyCase.expired_key: "has expired",
    PolicyCase.revoked_key: "has been revoked",
    PolicyCase.unknown_key: "not by your confirmed key",
    PolicyCase.bad_signature: "The signature on your message is not valid",
    PolicyCase.inline_pgp: "Your message uses inline PGP",
    PolicyCase.replay: "this list has already received",
}
REST_AUTH = ("restadmin", "restpass")
ACTIONS = ("hold", "reject", "discard", "accept", "defer")
# Secret words of every encrypted post sent in this module: never at rest, never in the clear.
SENT_SECRETS: list[str] = []


@dataclass
class Corpus:
    """The list, its senders (one GnuPG home) and the posts, made once for the module."""

    scenario: PGPListScenario
    gpg: GnuPGClient
    posts: dict[str, Post]
    encryption_keys: dict[str, str]  # member address -> key ID of its encryption subkey
    # Posts that could only be made before the set-up spoilt their keys, by policy case.
    spares: dict[PolicyCase, list[Post]]


@dataclass(frozen=True)
class Outcome:
    """What Mailman did with one post: what the SMTP sink received, and what it holds."""

    delivered: dict[str, list[Message]]
    held: bool  # the post waits for a moderator


@pytest.fixture(scope="module")
def corpus_mailman(_mailman_session) -> Iterator[object]:
    """Mailman's database and SMTP sink for the whole module, not reset between its tests."""
    from mailman.testing.layers import ConfigLayer, SMTPLayer

    ConfigLayer.testSetUp()
    try:
        yield SMTPLayer.smtpd
    finally:
        SMTPLayer.testTearDown()
        ConfigLayer.testTearDown()


@pytest.fixture(scope="module")
def corpus(corpus_mailman, tmp_path_factory) -> Iterator[Corpus]:
    from mailman.database.transaction import transaction
    from mailman.interfaces.member import DeliveryMode

    from mailman_pgp.app.archive_keys import add_archive_key
    from mailman_pgp.app.keys import set_address_key

    gpg = GnuPGClient()
    try:
        people = People()
        for name in ("alice", "bob", "rob", "nina", "dora", "archivist"):
            email = f"{name}@example.com"
            people.by_name[name] = Person(email, gpg, gpg.generate(
                f"{name.title()} <{email}>"))
        # Erin's key was made long ago and never expired then; it expires below.
        people.by_name["erin"] = Person("erin@example.com", gpg, gpg.generate(
            "Erin <erin@example.com>", made_at=LONG_AGO))
        scenario = PGPListScenario(corpus_mailman, people)
        scenario.subscribe("alice", "bob", "rob", "erin", "dora")
        with transaction():
            set_address_key(NONMEMBER, gpg.export(NONMEMBER), confirmed=True)
            add_archive_key(scenario.mlist.list_id, gpg.export(ARCHIVIST))
            scenario.mlist.members.get_member(DIGEST_READER).preferences.delivery_mode = (
                DeliveryMode.mime_digests)
            # Digests go out when a test sends one, not when they grow large.
            scenario.mlist.digest_size_threshold = 0
        maker = CorpusMaker(gpg, scenario.mlist.posting_address, scenario.list_fingerprint)
        posts = make_posts(maker)
        # Posts by Rob and Erin for the policy tests, made while their keys were good.
        spares = {
            PolicyCase.revoked_key: [maker.signed_and_encrypted(
                f"revoked-key-{action}", people["rob"].email, case=PolicyCase.revoked_key)
                for action in ACTIONS],
            PolicyCase.expired_key: [maker.signed_and_encrypted(
                f"expired-key-{action}", people["erin"].email, case=PolicyCase.expired_key,
                faked_time=SIGNED_LONG_AGO) for action in ACTIONS],
        }
        # After their posts were made: Rob revokes his key, Erin's expires (long ago).
        gpg.revoke(people["rob"].fingerprint)
        gpg.run("--quick-set-expire", people["erin"].fingerprint, "1y",
                faked_time=f"{EXPIRED_LONG_AGO}!")
        with transaction():
            for name in ("rob", "erin"):
                set_address_key(people[name].email, gpg.export(people[name].email),
                                confirmed=True)
        write_corpus(posts, tmp_path_factory.mktemp("corpus"))
        encryption_keys = {
            who: next(sub for sub, usage in gpg.subkeys(gpg.fingerprint(who))
                      if "e" in usage)[-16:]
            for who in (*READERS, DIGEST_READER, ARCHIVIST, scenario.list_fingerprint)}
        yield Corpus(scenario, gpg, posts, encryption_keys, spares)
    finally:
        gpg.close()


def make_posts(maker: CorpusMaker) -> dict[str, Post]:
    alice, bob, rob, erin = (f"{name}@example.com" for name in ("alice", "bob", "rob", "erin"))
    good = maker.signed_and_encrypted("gnupg-default", alice)
    relayed = maker.signed_and_encrypted("relayed", bob)
    exchanged = maker.signed_and_encrypted("exchanged", alice)
    posts = [
        good,
        maker.signed_then_encrypted(alice),
        maker.encrypted_then_signed(alice),
        maker.inline_encrypted(bob),
        maker.inline_clearsigned(alice),
        maker.signed_and_encrypted("revoked-key", rob, case=PolicyCase.revoked_key),
        maker.signed_and_encrypted("expired-key", erin, case=PolicyCase.expired_key,
                                   faked_time=SIGNED_LONG_AGO),
        maker.signed_and_encrypted("user-id-not-from", alice, signer=bob,
                                   case=PolicyCase.unknown_key),
        maker.unsigned(alice),
        maker.bad_signature(alice),
        maker.plaintext(alice),
        maker.rfc9788(alice),
        maker.thunderbird_v1(bob),
        maker.non_ascii(alice),
        maker.latin1(bob),
        maker.big_attachment(alice),
        maker.footer_wrapped(relayed),
        maker.exchange_mixed_up(exchanged),
        Post("replay-identical", good.raw, good.sender, PolicyCase.replay, good.text,
             good.secrets),
        maker.in_new_envelope(good),
    ]
    return {post.name: post for post in posts}


# -- running a post through Mailman -----------------------------------------------------------

def run_runner(name: str) -> None:
    """Run the runner configured for queue ``name`` (the plugin's, for some) over its queue."""
    from mailman.config import config
    from mailman.testing.helpers import make_testable_runner
    from mailman.utilities.modules import find_name

    make_testable_runner(find_name(getattr(config, f"runner.{name}")["class"]), name).run()


def run(corpus: Corpus, raw: bytes, secrets: tuple[str, ...] = ()) -> Outcome:
    """Send ``raw`` to the list by LMTP and run the runners until the queues are empty."""
    from mailman.interfaces.requests import IListRequests, RequestType

    scenario = corpus.scenario
    scenario.smtpd.clear()
    SENT_SECRETS.extend(secrets)
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    run_runner("archive")
    message_id = message_from_bytes(raw)["Message-ID"]
    held = any(request.key == message_id for request in
               IListRequests(scenario.mlist).of_type(RequestType.held_message))
    return Outcome(scenario.delivered(), held)


@pytest.fixture(scope="module")
def outcomes(corpus) -> dict[str, Outcome]:
    """Every post of the corpus through Mailman once, in order, under the default policies."""
    return {post.name: run(corpus, post.raw, post.secrets) for post in corpus.posts.values()}


def copies(delivered: dict[str, list[Message]]) -> dict[str, list[Message]]:
    """The list traffic in ``delivered`` (not notices), by recipient."""
    return {email: found for email, messages in delivered.items()
            if (found := [m for m in messages if m["Precedence"] == "list"])}


def read_copy(corpus: Corpus, recipient: str, copy: Message) -> Message:
    """``copy`` as ``recipient``'s GnuPG opens it: encrypted to their key, signed by the list."""
    assert copy.get_content_type() == "multipart/encrypted"
    version, payload = copy.get_payload()
    assert version.get_payload().strip() == "Version: 1"
    opened = corpus.gpg.decrypt(payload.get_payload().encode("ascii"))
    assert opened.has("DECRYPTION_OKAY"), opened.stderr
    assert recipients_of(opened) == {corpus.encryption_keys[recipient]}
    signed, signature = split_signed_raw(opened.output)
    checked = corpus.gpg.verify_detached(signature, signed)
    assert checked.has("GOODSIG")
    assert checked.line("VALIDSIG")[-1] == corpus.scenario.list_fingerprint
    return message_from_bytes(signed)


def recipients_of(opened) -> set[str]:
    """The key IDs a message was encrypted to, as gpg's ENC_TO status lines name them."""
    return {words[2] for words in (line.split() for line in opened.status)
            if words[1:2] == ["ENC_TO"]}


def notice_text(corpus: Corpus, notice: Message) -> str:
    """A notice as its recipient reads it: decrypted when it came encrypted."""
    if notice.get_content_type() != "multipart/encrypted":
        return text_of(notice)
    opened = corpus.gpg.decrypt(notice.get_payload()[1].get_payload().encode("ascii"))
    assert opened.has("DECRYPTION_OKAY")
    signed, _ = split_signed_raw(opened.output)
    return text_of(message_from_bytes(signed))


def assert_nothing_in_clear(outcome: Outcome, secrets: tuple[str, ...]) -> None:
    for messages in outcome.delivered.values():
        for msg in messages:
            raw = msg.as_bytes()
            for secret in secrets:
                assert secret.encode() not in raw


def assert_delivered(corpus: Corpus, post: Post, outcome: Outcome) -> dict[str, Message]:
    """That each reader got one copy of ``post`` and reads its text; the copies opened."""
    received = copies(outcome.delivered)
    assert sorted(received) == sorted(READERS)
    contents = {}
    for recipient in READERS:
        [copy] = received[recipient]
        content = contents[recipient] = read_copy(corpus, recipient, copy)
        # What the author wrote, perhaps with the list's header and footer around it.
        assert " ".join(post.text.split()) in " ".join(text_of(content).split())
    assert_nothing_in_clear(outcome, post.secrets)
    return contents


def assert_refused(corpus: Corpus, post: Post, outcome: Outcome, reason: str) -> None:
    assert copies(outcome.delivered) == {}
    assert not outcome.held
    [notice] = outcome.delivered[post.sender]
    assert reason in " ".join(notice_text(corpus, notice).split())
    assert_nothing_in_clear(outcome, post.secrets)


# -- the corpus under the default policies ----------------------------------------------------

DELIVERED = ("gnupg-default", "signed-then-encrypted", "inline-encrypted",
             "rfc9788-protected-headers", "thunderbird-protected-headers-v1", "non-ascii-utf8",
             "non-ascii-latin1", "mangled-list-footer", "mangled-exchange-mixed-up")
# Refusals whose sentence says more than their case's.
REFUSED_REASONS = {"encrypted-then-signed": "signed outside the encryption"}
REFUSED = ("encrypted-then-signed", "inline-clearsigned", "revoked-key", "expired-key",
           "user-id-not-from", "unsigned-encrypted", "bad-signature", "plaintext")


@pytest.mark.parametrize("name", DELIVERED)
def test_a_good_post_reaches_each_member_encrypted_to_their_key(corpus, outcomes, name):
    assert_delivered(corpus, corpus.posts[name], outcomes[name])


@pytest.mark.parametrize("name", REFUSED)
def test_a_post_that_falls_short_is_refused_with_a_notice_saying_why(corpus, outcomes, name):
    post = corpus.posts[name]
    assert post.case is not None
    assert_refused(corpus, post, outcomes[name], REFUSED_REASONS.get(name, REASONS[post.case]))


def test_the_corpus_covers_every_post_once(corpus):
    assert sorted(DELIVERED + REFUSED + HELD + REPLAYS) == sorted(corpus.posts)


HELD = ("attachment-5mb",)
REPLAYS = ("replay-identical", "replay-new-envelope")


def test_a_post_over_the_size_limit_is_held_and_reaches_nobody(corpus, outcomes):
    outcome = outcomes["attachment-5mb"]
    assert copies(outcome.delivered) == {}
    assert outcome.held
    assert_nothing_in_clear(outcome, corpus.posts["attachment-5mb"].secrets)


@pytest.mark.parametrize("name", REPLAYS)
def test_a_replayed_post_is_never_delivered(corpus, outcomes, name):
    outcome = outcomes[name]
    assert copies(outcome.delivered) == {}
    assert_nothing_in_clear(outcome, corpus.posts[name].secrets)


# -- archives and digests ---------------------------------------------------------------------

def archived(corpus: Corpus) -> dict[str, Message]:
    """The list's encrypted archive (a Maildir), by Message-ID."""
    from mailbox import Maildir

    from mailman_pgp.archivers.pgp_archive import archive_path

    path = archive_path(corpus.scenario.mlist.list_id)
    return {str(msg["Message-ID"]): msg for msg in
            (message_from_bytes(m.as_bytes()) for m in Maildir(str(path), factory=None))}


def test_each_delivered_post_is_archived_encrypted_to_the_list_and_archive_keys(
        corpus, outcomes):
    archive = archived(corpus)
    keys = corpus.encryption_keys
    for name in DELIVERED:
        post = corpus.posts[name]
        copy = archive[message_from_bytes(post.raw)["Message-ID"]]
        assert copy.get_content_type() == "multipart/encrypted"
        raw = copy.as_bytes()
        assert not any(secret.encode() in raw for secret in post.secrets)
        opened = corpus.gpg.decrypt(copy.get_payload(1).get_payload().encode("ascii"))
        assert opened.has("DECRYPTION_OKAY"), opened.stderr
        assert recipients_of(opened) == {keys[corpus.scenario.list_fingerprint],
                                         keys[ARCHIVIST]}
        signed, signature = split_signed_raw(opened.output)
        assert corpus.gpg.verify_detached(signature, signed).line("VALIDSIG")[-1] == (
            corpus.scenario.list_fingerprint)
        assert " ".join(post.text.split()) in " ".join(
            text_of(message_from_bytes(signed)).split())


def test_a_digest_sent_reaches_the_digest_member_encrypted_and_signed(corpus, outcomes):
    from mailman.app.digests import maybe_send_digest_now
    from mailman.database.transaction import transaction

    scenario = corpus.scenario
    scenario.smtpd.clear()
    with transaction():
        maybe_send_digest_now(scenario.mlist, force=True)
    run_runner("digest")
    scenario.run_queues()
    delivered = scenario.delivered()
    assert copies(delivered).keys() <= {DIGEST_READER}
    [digest] = delivered[DIGEST_READER]
    content = read_copy(corpus, DIGEST_READER, digest)
    texts = " ".join(" ".join(
        (part.get_payload(decode=True) or b"").decode(part.get_content_charset() or "utf-8",
                                                      "replace").split())
        for part in content.walk() if part.get_content_type() == "text/plain")
    for name in DELIVERED:
        post = corpus.posts[name]
        assert " ".join(post.text.split()) in texts, name
        assert not any(secret.encode() in digest.as_bytes() for secret in post.secrets)


# -- held posts decided over Mailman's REST ---------------------------------------------------

def held_request_ids(mlist) -> list[int]:
    from mailman.interfaces.requests import IListRequests, RequestType

    return [request.id for request in IListRequests(mlist).of_type(RequestType.held_message)]


@pytest.fixture(scope="module")
def rest_api(corpus, mailman_rest_server) -> str:
    """The base URL of Mailman's REST server (a real subprocess, started once per run)."""
    from mailman.config import config

    return f"http://localhost:{config.webservice.port}/3.1"


def held_request(mlist, message_id: str) -> int:
    """The id of the held-message request for the post with ``message_id``."""
    from mailman.interfaces.requests import IListRequests, RequestType

    [request_id] = [request.id for request in
                    IListRequests(mlist).of_type(RequestType.held_message)
                    if request.key == message_id]
    return request_id


def decide(rest_api: str, corpus: Corpus, message_id: str, action: str, **extra: str) -> None:
    mlist = corpus.scenario.mlist
    request_id = held_request(mlist, message_id)
    answer = requests.post(f"{rest_api}/lists/{mlist.list_id}/held/{request_id}",
                           data={"action": action, **extra}, auth=REST_AUTH, timeout=30)
    assert answer.status_code == 204, answer.text


def test_a_held_post_approved_over_rest_reaches_each_member(corpus, outcomes, rest_api):
    post = corpus.posts["attachment-5mb"]
    message_id = message_from_bytes(post.raw)["Message-ID"]
    corpus.scenario.smtpd.clear()
    decide(rest_api, corpus, message_id, "accept")
    corpus.scenario.run_queues()
    run_runner("archive")
    content = assert_delivered(corpus, post, Outcome(corpus.scenario.delivered(), False))[
        "bob@example.com"]
    [attachment] = [part for part in content.walk() if part.get_filename() == "photo.raw"]
    assert len(attachment.get_payload(decode=True)) == 5 * 1024 * 1024


def test_a_held_post_rejected_over_rest_reaches_nobody_and_its_sender_is_told(
        corpus, outcomes, rest_api):
    maker = CorpusMaker(corpus.gpg, corpus.scenario.mlist.posting_address,
                        corpus.scenario.list_fingerprint)
    post = maker.signed_and_encrypted("nonmember", NONMEMBER)
    held = run(corpus, post.raw, post.secrets)
    assert copies(held.delivered) == {}
    message_id = message_from_bytes(post.raw)["Message-ID"]
    corpus.scenario.smtpd.clear()
    decide(rest_api, corpus, message_id, "reject", comment="Not for this list")
    corpus.scenario.run_queues()
    run_runner("archive")
    outcome = Outcome(corpus.scenario.delivered(), False)
    assert copies(outcome.delivered) == {}
    [notice] = outcome.delivered[NONMEMBER]
    assert "Not for this list" in notice_text(corpus, notice)
    assert_nothing_in_clear(outcome, post.secrets)
    with pytest.raises(ValueError):
        held_request(corpus.scenario.mlist, message_id)


# -- every policy case with every action ------------------------------------------------------

def set_action(rest_api: str, corpus: Corpus, case: PolicyCase, action: str) -> None:
    """Set the list's ``<case>_action`` as its owner would: PATCH over REST."""
    from mailman.config import config

    # The REST server writes to the database this process reads: end our transaction.
    config.db.commit()
    answer = requests.patch(f"{rest_api}/plugins/pgp/lists/{corpus.scenario.mlist.list_id}",
                            json={case.setting: action}, auth=REST_AUTH, timeout=30)
    assert answer.status_code == 204, answer.text


def post_meeting(corpus: Corpus, case: PolicyCase) -> Post:
    """A new post whose first policy case is ``case`` and that meets no other but
    (for an expired key, signed long ago) ``replay``."""
    maker = CorpusMaker(corpus.gpg, corpus.scenario.mlist.posting_address,
                        corpus.scenario.list_fingerprint)
    alice, bob = READERS
    if case in corpus.spares:
        return corpus.spares[case].pop()
    if case is PolicyCase.unencrypted:
        clearsigned = maker.inline_clearsigned(alice)
        return Post(clearsigned.name, clearsigned.raw, alice, case, clearsigned.text)
    if case is PolicyCase.unsigned:
        return maker.unsigned(alice)
    if case is PolicyCase.bad_signature:
        return maker.bad_signature(alice)
    if case is PolicyCase.unknown_key:
        return maker.signed_and_encrypted("unknown-key", alice, signer=bob, case=case)
    inline = maker.inline_encrypted(bob)
    if case is PolicyCase.inline_pgp:
        return Post(inline.name, inline.raw, bob, case, inline.text, inline.secrets)
    return Post("replayed", inline.raw, bob, case, inline.text, inline.secrets)


# Where a post goes on when its case's action is accept: on to the next case, whose
# default decides. A post signed long ago by a key now expired is a replay too.
ACCEPTED_THEN = {PolicyCase.expired_key: "refused"}
# Where a post goes when its case's action is defer: to Mailman's moderation, which takes a
# member's post; but the pipeline delivers a signature once (unless replay_action is
# accept), so a replay deferred is dropped there, silently.
DEFERRED_THEN = {PolicyCase.replay: "discarded"}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("case", list(PolicyCase), ids=lambda case: case.value)
def test_each_policy_case_meets_the_action_the_list_sets(corpus, outcomes, rest_api, case,
                                                           action):
    post = post_meeting(corpus, case)
    set_action(rest_api, corpus, case, action)
    try:
        if case is PolicyCase.replay:
            # First sent, the post is new to the list and delivered; sent again, a replay.
            assert_delivered(corpus, post, run(corpus, post.raw, post.secrets))
        outcome = run(corpus, post.raw, post.secrets)
    finally:
        set_action(rest_api, corpus, case, ACTION_DEFAULTS[case].name)
    message_id = message_from_bytes(post.raw)["Message-ID"]
    fate = {"hold": "held", "reject": "refused", "discard": "discarded",
            "accept": ACCEPTED_THEN.get(case, "delivered"),
            "defer": DEFERRED_THEN.get(case, "delivered")}[action]
    if fate == "delivered":
        assert_delivered(corpus, post, outcome)
    elif fate == "held":
        assert copies(outcome.delivered) == {}
        assert held_request(corpus.scenario.mlist, message_id)
        assert_nothing_in_clear(outcome, post.secrets)
    elif fate == "discarded":
        assert outcome.delivered == {}
        with pytest.raises(ValueError):
            held_request(corpus.scenario.mlist, message_id)
    else:
        reason = REASONS[case] if action == "reject" else "longer ago than this list accepts"
        assert_refused(corpus, post, outcome, reason)


# -- last: what Mailman keeps on disk ---------------------------------------------------------

def test_no_file_under_var_holds_a_word_of_an_encrypted_post(corpus, outcomes):
    from mailman.config import config

    from mailman_pgp.testing.at_rest import scan

    secrets = sorted(set(SENT_SECRETS))
    # Every encrypted post of the corpus went through (and those the tests above sent).
    assert {word for post in corpus.posts.values() for word in post.secrets} <= set(secrets)
    assert scan(Path(config.VAR_DIR), secrets) == []
