# Test that each policy-case rule hits exactly for its case, judged from the PGP check's record,
# says what is wrong in the sender's words, and fails closed for a post that was not checked;
# and that the replay rule counts a signature seen, too old or from the future as a replay.

import email
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from mailman.config import config
from mailman.core.i18n import format_reasons
from mailman.database.transaction import transaction
from mailman.email.message import Message

from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.mime import MessageKind
from mailman_pgp.model.seen_signature import record_signature
from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.posting.policy import case_finding

SENDER_KEY = "1" * 40
OTHER_KEY = "2" * 40
LIST = SimpleNamespace(list_id="crypto.example.com")
NOW = datetime.now(UTC)


def check(status=SignatureStatus.GOOD, signer=SENDER_KEY, issuer=None, sender_key=SENDER_KEY,
          kind=MessageKind.PGP_MIME_ENCRYPTED, signed_at=NOW, signature="s" * 64) -> PostCheck:
    return PostCheck(CheckOutcome.OPENED, "anne@example.com", "d" * 64, status, signer, issuer,
                     sender_key, kind=kind, signed_at=signed_at, signature=signature)


def run(case: PolicyCase, outcome: PostCheck | None) -> tuple[bool, list[str]]:
    if case is PolicyCase.unencrypted and outcome is not None:
        # Its rule judges the message as it arrived (see the test below); the record's
        # kind is what the check read of it.
        found = case_finding(case, outcome, LIST.list_id, replay_window=timedelta(days=7))
        return found is not None, [] if found is None else [found.reason]
    msgdata: dict[str, Any] = {}
    if outcome is not None:
        outcome.save(msgdata)
    msg = Message()
    msg["From"] = "anne@example.com"
    rule = config.rules["pgp-" + case.value.replace("_", "-")]
    hit = rule.check(LIST, msg, msgdata)
    return hit, format_reasons(msgdata.get("moderation_reasons", []))


def hits(outcome: PostCheck) -> list[PolicyCase]:
    return [case for case in PolicyCase if run(case, outcome)[0]]


def test_a_good_signed_encrypted_pgp_mime_post_meets_no_case(mailman):
    assert hits(check()) == []


@pytest.mark.parametrize(("outcome", "cases", "words"), [
    (check(kind=MessageKind.PLAIN, status=SignatureStatus.NO_SIGNATURE, signature=None),
     [PolicyCase.unencrypted, PolicyCase.unsigned], "was not encrypted"),
    (check(kind=MessageKind.PGP_MIME_SIGNED), [PolicyCase.unencrypted],
     "was signed but not encrypted"),
    (check(status=SignatureStatus.NO_SIGNATURE, signer=None, signature=None),
     [PolicyCase.unsigned], f"was not signed. Sign it with your key {SENDER_KEY}"),
    (check(status=SignatureStatus.BAD), [PolicyCase.bad_signature], "altered"),
    (check(status=SignatureStatus.EXPIRED_KEY), [PolicyCase.expired_key],
     f"Your key {SENDER_KEY} has expired"),
    (check(status=SignatureStatus.REVOKED_KEY), [PolicyCase.revoked_key],
     f"Your key {SENDER_KEY} has been revoked"),
    (check(status=SignatureStatus.UNKNOWN_KEY, signer=None, issuer=OTHER_KEY),
     [PolicyCase.unknown_key], f"signed by key {OTHER_KEY}, not by your confirmed key"),
    (check(signer=OTHER_KEY), [PolicyCase.unknown_key],
     f"signed by key {OTHER_KEY}, not by your confirmed key {SENDER_KEY}"),
    (check(status=SignatureStatus.UNKNOWN_KEY, signer=None, issuer=OTHER_KEY, sender_key=None),
     [PolicyCase.unknown_key], "anne@example.com has no confirmed key"),
    (check(kind=MessageKind.INLINE_ENCRYPTED), [PolicyCase.inline_pgp], "inline PGP"),
    (check(kind=MessageKind.INLINE_SIGNED),
     [PolicyCase.unencrypted, PolicyCase.inline_pgp], "signed but not encrypted"),
    (check(signed_at=NOW - timedelta(days=8)), [PolicyCase.replay],
     "longer ago than this list accepts (7 days)"),
    (check(signed_at=NOW + timedelta(hours=1)), [PolicyCase.replay], "in the future"),
], ids=["plain", "pgp-mime-signed", "unsigned", "bad", "expired", "revoked", "unknown",
        "other-good-key", "keyless-author", "inline-encrypted", "inline-signed", "too-old",
        "future"])
def test_each_case_hits_for_its_own_post_only_saying_why(mailman, outcome, cases, words):
    assert hits(outcome) == cases
    hit, reasons = run(cases[0], outcome)
    assert hit is True
    assert words in reasons[0]


def test_a_signature_made_within_the_skew_is_not_from_the_future(mailman):
    assert hits(check(signed_at=NOW + timedelta(minutes=5))) == []


def test_a_signature_the_list_accepted_within_the_window_is_a_replay(mailman):
    outcome = check()
    at = datetime.now(UTC).replace(tzinfo=None)
    with transaction():
        record_signature("other.example.com", "s" * 64, at=at, window=timedelta(days=7))
    assert hits(outcome) == []  # another list's signature is not this list's
    with transaction():
        record_signature(LIST.list_id, "s" * 64, at=at - timedelta(days=8),
                         window=timedelta(days=7))
    assert hits(outcome) == []  # seen longer ago than the window
    with transaction():
        assert record_signature(LIST.list_id, "s" * 64, at=at, window=timedelta(days=7))
    hit, reasons = run(PolicyCase.replay, outcome)
    assert hit is True
    assert "already received" in reasons[0]


def test_the_unencrypted_rule_judges_the_post_as_it_arrived(mailman):
    rule = config.rules["pgp-unencrypted"]
    plain = Message()
    plain["From"] = "anne@example.com"
    plain.set_payload("hello\n")
    msgdata: dict[str, Any] = {}
    assert rule.check(LIST, plain, msgdata) is True
    assert format_reasons(msgdata["moderation_reasons"]) == [
        "Your message was not encrypted. Posts to this list must be encrypted to the list's"
        " key and signed with your own key."]
    encrypted = Message()
    encrypted["Content-Type"] = 'multipart/encrypted; protocol="application/pgp-encrypted"'
    assert rule.check(LIST, encrypted, {}) is False
    encrypted_then_signed = email.message_from_bytes(
        b'Content-Type: multipart/signed; protocol="application/pgp-signature";'
        b' micalg=pgp-sha256; boundary="s"\n\n--s\n'
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";'
        b' boundary="e"\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n'
        b'--e--\n--s\nContent-Type: application/pgp-signature\n\nsig\n--s--\n',
        _class=Message)
    msgdata = {}
    assert rule.check(LIST, encrypted_then_signed, msgdata) is True
    [reason] = format_reasons(msgdata["moderation_reasons"])
    assert reason.startswith(
        "Your message was encrypted and then signed outside the encryption")


@pytest.mark.parametrize("case", [case for case in PolicyCase
                                  if case is not PolicyCase.unencrypted])
@pytest.mark.parametrize("outcome", [
    None,
    PostCheck(CheckOutcome.UNDECRYPTABLE, "anne@example.com", "d" * 64, detail=SENDER_KEY),
], ids=["never-checked", "not-opened"])
def test_a_post_not_checked_meets_every_case(mailman, case, outcome):
    hit, reasons = run(case, outcome)
    assert hit is True
    assert reasons == ["The list could not check the signature of your message."]
