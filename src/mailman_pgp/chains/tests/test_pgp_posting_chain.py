# Test that the PGP posting chain refuses bad posts with a notice that holds neither the post
# nor plaintext, decides what it can before decrypting, decrypts a post once per run, and hands
# good posts on to Mailman's own posting chain.

from typing import Any

import pytest
from mailman.config import config
from mailman.core.chains import process
from mailman.email.message import Message
from mailman.interfaces.action import Action
from mailman.testing.helpers import get_queue_messages

import mailman_pgp.posting.encrypted_post as encrypted_post
from mailman_pgp.chains.pgp_posting_chain import PGPPostingChain
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.testing.calls import record_calls

SECRET = "chain-plaintext-4e1d"


@pytest.fixture
def decrypt_calls(monkeypatch):
    return record_calls(monkeypatch, encrypted_post, "decrypt")


def run_chain(scenario, raw: bytes) -> dict:
    from email import message_from_bytes

    msg = message_from_bytes(raw, Message)
    # As Mailman's LMTP runner does; the max-size rule reads it.
    msg.original_size = len(raw)
    msgdata: dict[str, Any] = {}
    process(scenario.mlist, msg, msgdata, "pgp-posting-chain")
    return msgdata


def test_the_pgp_checks_come_before_mailmans_chain(mailman):
    chain = config.chains["pgp-posting-chain"]
    assert isinstance(chain, PGPPostingChain)
    names = [(link.rule.name, link.chain.name if link.chain else link.function.__name__)
             for link in chain.get_links(None, None, None)]
    # With the default policies: every case rejected but inline PGP, which is accepted
    # (no link); unencrypted posts refused before the check.
    assert names == [
        ("no-senders", "discard"),
        ("loop", "discard"),
        ("banned-address", "discard"),
        ("pgp-ambiguous-author", "pgp-reject"),
        ("pgp-author-without-key", "pgp-reject"),
        ("pgp-too-complex", "pgp-reject"),
        ("pgp-unencrypted", "pgp-reject"),
        ("pgp-message-id-taken", "pgp-reject"),
        ("pgp-too-large", "pgp-hold"),
        ("truth", "check_post"),
        ("pgp-too-slow", "pgp-hold"),
        ("pgp-plaintext-over-list-limit", "pgp-hold"),
        ("pgp-not-decryptable", "pgp-reject"),
        ("pgp-unsigned", "pgp-reject"),
        ("pgp-bad-signature", "pgp-reject"),
        ("pgp-expired-key", "pgp-reject"),
        ("pgp-revoked-key", "pgp-reject"),
        ("pgp-unknown-key", "pgp-reject"),
        ("pgp-replay", "pgp-reject"),
        ("truth", "default-posting-chain"),
    ]


def test_an_approved_post_is_checked_again_before_it_is_accepted(mailman):
    chain = config.chains["pgp-recheck-chain"]
    names = [(link.rule.name, link.chain.name if link.chain else link.function.__name__)
             for link in chain.get_links(None, None, None)]
    assert names == [
        ("truth", "recheck_post"),
        ("pgp-too-slow", "pgp-hold"),
        ("pgp-not-decryptable", "pgp-reject"),
        ("pgp-unencrypted", "pgp-reject"),
        ("pgp-unsigned", "pgp-reject"),
        ("pgp-bad-signature", "pgp-reject"),
        ("pgp-expired-key", "pgp-reject"),
        ("pgp-revoked-key", "pgp-reject"),
        ("pgp-unknown-key", "pgp-reject"),
        ("pgp-replay", "pgp-reject"),
        ("truth", "accept"),
    ]


def test_a_good_post_goes_on_to_the_pipeline_encrypted_after_one_decryption(
        scenario, people, decrypt_calls):
    raw = scenario.pgp_mime_post(people["anne"], f"{SECRET}\n")
    msgdata = run_chain(scenario, raw)
    assert len(decrypt_calls) == 1
    assert {"pgp-unsigned", "pgp-unknown-key", "pgp-replay"} <= set(msgdata["rule_misses"])
    assert "member-moderation" in msgdata["rule_misses"] + msgdata["rule_hits"]
    [item] = get_queue_messages("pipeline", expected_count=1)
    assert item.msg.get_content_type() == "multipart/encrypted"
    assert SECRET.encode() not in item.msg.as_bytes()
    assert PostCheck.load(item.msgdata).signed_by_sender


def test_mailmans_moderation_still_applies_after_the_pgp_checks(scenario, people):
    with_transaction(lambda: setattr(scenario.mlist, "default_member_action", Action.hold))
    msgdata = run_chain(scenario, scenario.pgp_mime_post(people["anne"], "hold me\n"))
    assert "member-moderation" in msgdata["rule_hits"]
    assert get_queue_messages("pipeline") == []
    assert get_queue_messages("virgin") != []  # the notices of a held post


@pytest.mark.parametrize(
    ("kind", "rule", "reason"),
    [
        ("plain", "pgp-unencrypted", "Your message was not encrypted."),
        ("foreign-key", "pgp-not-decryptable", "The list could not decrypt your message."),
        ("unsigned", "pgp-unsigned", "Your message was not signed."),
        ("other-signer", "pgp-unknown-key", "not by your confirmed key"),
    ],
)
def test_a_refused_post_draws_a_notice_naming_the_reason_without_plaintext(
        scenario, people, kind, rule, reason):
    anne, otto = people["anne"], people["otto"]
    text = f"{SECRET}\n"
    raw = {
        "plain": lambda: scenario.plain_post(anne, "no secret here\n"),
        "foreign-key": lambda: scenario.pgp_mime_post(anne, text, encrypt_to=anne.fingerprint),
        "unsigned": lambda: scenario.pgp_mime_post(anne, text, sign=False),
        "other-signer": lambda: scenario.pgp_mime_post(anne, text, signer=otto),
    }[kind]()
    msgdata = run_chain(scenario, raw)
    assert msgdata["rule_hits"][-1] == rule
    assert get_queue_messages("pipeline") == []
    [notice] = get_queue_messages("virgin", expected_count=1)
    assert notice.msgdata["recipients"] == {"anne@example.com"}
    assert notice.msg.get_content_type() == "text/plain"
    explanation = notice.msg.get_payload(decode=True).decode()
    assert reason in explanation
    assert "not attached to this notice" in explanation
    assert SECRET.encode() not in notice.msg.as_bytes()
    assert b"BEGIN PGP" not in notice.msg.as_bytes()


def with_transaction(change) -> None:
    from mailman.database.transaction import transaction

    with transaction():
        change()
