# Test that a PGP list's policies decide posts in the posting chain, through real Mailman and
# posts made by real GnuPG: each case with each action leads where the action says (hold,
# reject, discard, defer to Mailman's moderation, accept on to the next case); a replayed
# post, byte-identical or the same signature in a new envelope, meets the replay policy once
# the first was accepted for delivery; and a plaintext post accepted by policy is delivered,
# encrypted, from what was checked.

from email import message_from_bytes
from typing import Any

import pytest
from mailman.core.chains import process
from mailman.database.transaction import transaction
from mailman.email.message import Message
from mailman.interfaces.action import Action
from mailman.interfaces.requests import IListRequests
from mailman.testing.helpers import get_queue_messages

from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.tests.scenario import inline_message

SECRET = "policy-plaintext-77c1"


def set_actions(scenario, **actions: Action) -> None:
    with transaction():
        for name, action in actions.items():
            setattr(scenario.pgp_list, f"{name}_action", action)


def run_chain(scenario, raw: bytes) -> dict:
    msg = message_from_bytes(raw, Message)
    msg.original_size = len(raw)
    msgdata: dict[str, Any] = {}
    process(scenario.mlist, msg, msgdata, "pgp-posting-chain")
    return msgdata


def post_of(case: PolicyCase, scenario, people) -> bytes:
    anne, otto = people["anne"], people["otto"]
    return {
        PolicyCase.unencrypted: lambda: scenario.plain_post(anne, f"{SECRET}\n"),
        PolicyCase.unsigned: lambda: scenario.pgp_mime_post(anne, f"{SECRET}\n", sign=False),
        PolicyCase.unknown_key: lambda: scenario.pgp_mime_post(anne, f"{SECRET}\n",
                                                               signer=otto),
        PolicyCase.inline_pgp: lambda: scenario.inline_post(anne, f"{SECRET}\n"),
    }[case]()


def outcome(scenario) -> str:
    """Where the post went: the pipeline (accepted), held, refused with a notice, or nowhere."""
    pipeline = get_queue_messages("pipeline")
    notices = get_queue_messages("virgin")
    held = IListRequests(scenario.mlist).count
    if pipeline:
        return "pipeline"
    if held:
        return "held"
    if any("was refused" in str(item.msg["subject"]) for item in notices):
        return "refused"
    return "nowhere"


CASES = [PolicyCase.unencrypted, PolicyCase.unsigned, PolicyCase.unknown_key,
         PolicyCase.inline_pgp]
# For an accepted case the next case decides: a plaintext post is unsigned, too (rejected
# by default); the other posts meet no other case.
ACCEPTED = {PolicyCase.unencrypted: "refused", PolicyCase.unsigned: "pipeline",
            PolicyCase.unknown_key: "pipeline", PolicyCase.inline_pgp: "pipeline"}
WHERE = {Action.hold: "held", Action.reject: "refused", Action.discard: "nowhere",
         Action.defer: "pipeline"}


@pytest.mark.parametrize("action", list(Action), ids=[action.name for action in Action])
@pytest.mark.parametrize("case", CASES, ids=[case.value for case in CASES])
def test_each_case_goes_where_its_action_says(scenario, people, case, action):
    set_actions(scenario, **{case.value: action})
    msgdata = run_chain(scenario, post_of(case, scenario, people))
    rule = "pgp-" + case.value.replace("_", "-")
    expected = ACCEPTED[case] if action is Action.accept else WHERE[action]
    assert outcome(scenario) == expected
    if action is Action.accept:
        assert rule not in msgdata.get("rule_hits", []) + msgdata.get("rule_misses", [])
    elif action is Action.defer:
        # Taken back, so that Mailman's moderation does not hold the post for it.
        assert msgdata["pgp_deferred_case"] == rule
        assert rule not in msgdata.get("rule_hits", [])
    else:
        assert rule in msgdata["rule_hits"]
    if action is Action.defer:
        # Mailman's moderation decided; the PGP cases after this one were not asked.
        assert "member-moderation" in msgdata["rule_misses"] + msgdata["rule_hits"]
        assert "pgp-replay" not in msgdata["rule_misses"] + msgdata["rule_hits"]


def test_the_first_case_that_applies_decides(scenario, people):
    # Unencrypted and unsigned: held for the first, never refused for the second.
    set_actions(scenario, unencrypted=Action.hold, unsigned=Action.reject)
    msgdata = run_chain(scenario, scenario.plain_post(people["anne"], "hi\n"))
    assert outcome(scenario) == "held"
    assert "pgp-unsigned" not in msgdata["rule_hits"]


def accept_for_delivery(scenario, item) -> None:
    """What the pipeline's first handler does with an accepted post, in its transaction."""
    from mailman.config import config

    with transaction():
        config.handlers["pgp-checked-post"].process(scenario.mlist, item.msg, item.msgdata)


def test_a_byte_identical_replay_is_refused_once_the_first_is_accepted(scenario, people):
    raw = scenario.pgp_mime_post(people["anne"], f"{SECRET}\n")
    run_chain(scenario, raw)
    [first] = get_queue_messages("pipeline", expected_count=1)
    accept_for_delivery(scenario, first)
    msgdata = run_chain(scenario, raw)
    assert msgdata["rule_hits"][-1] == "pgp-replay"
    assert outcome(scenario) == "refused"


def test_the_same_signature_in_a_new_envelope_is_a_replay(scenario, people):
    anne = people["anne"]
    # Sign first (a clear-signed text), then encrypt that same signed text twice, as inline
    # PGP: two ciphertexts, two Message-IDs, one signature.
    signed = anne.client.clearsign(f"{SECRET}\n".encode(), anne.email)
    first, again = (
        inline_message(anne.client.encrypt(signed, scenario.list_fingerprint),
                       scenario.headers(anne, "A post"))
        for _ in range(2))
    assert first != again
    run_chain(scenario, first)
    [item] = get_queue_messages("pipeline", expected_count=1)
    check = PostCheck.load(item.msgdata)
    assert check.signed_by_sender
    accept_for_delivery(scenario, item)
    msgdata = run_chain(scenario, again)
    assert msgdata["rule_hits"][-1] == "pgp-replay"
    assert PostCheck.load(msgdata).signature == check.signature


def test_a_replay_that_raced_the_first_copy_is_stopped_in_the_pipeline(scenario, people):
    from mailman.interfaces.pipeline import DiscardMessage

    raw = scenario.pgp_mime_post(people["anne"], f"{SECRET}\n")
    run_chain(scenario, raw)
    run_chain(scenario, raw)
    first, second = get_queue_messages("pipeline", expected_count=2)
    accept_for_delivery(scenario, first)
    with pytest.raises(DiscardMessage):
        accept_for_delivery(scenario, second)
    # A moderator's approval is the list's decision: it goes through.
    second.msgdata["moderator_approved"] = True
    accept_for_delivery(scenario, second)


def through_mailman(scenario, raw: bytes) -> dict:
    """What each address received for ``raw``, through LMTP and Mailman's runners."""
    scenario.smtpd.clear()
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    return scenario.delivered()


@pytest.mark.parametrize("form", ["plain", "clear-signed"])
def test_a_plaintext_post_the_list_accepts_is_delivered_encrypted_and_its_author_told(
        scenario, people, form):
    anne = people["anne"]
    set_actions(scenario, unencrypted=Action.accept, unsigned=Action.accept)
    if form == "plain":
        raw = scenario.plain_post(anne, f"{SECRET}\n")
    else:
        signed = anne.client.clearsign(f"{SECRET}\n".encode(), anne.email).decode()
        raw = scenario.plain_post(anne, signed)
    received = through_mailman(scenario, raw)
    mails = received["anne@example.com"]
    # Everything the list sent anne is encrypted to her key: the post and the notice.
    assert [msg.get_content_type() for msg in mails] == ["multipart/encrypted"] * 2
    assert not [msg for msg in mails if SECRET.encode() in msg.as_bytes()]
    opened = [b" ".join(anne.client.decrypt(msg.get_payload()[1].get_payload().encode())
                        .output.split()) for msg in mails]
    [post] = [text for text in opened if SECRET.encode() in text]
    [notice] = [text for text in opened if text is not post]
    assert b"travelled in the clear" in notice
    assert SECRET.encode() not in notice
