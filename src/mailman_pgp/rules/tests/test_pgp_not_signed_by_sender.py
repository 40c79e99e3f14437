# Test that the pgp-not-signed-by-sender rule passes only a good signature by the sender's
# confirmed key, and otherwise says exactly what is wrong with the signature.

from typing import Any

import pytest
from mailman.core.i18n import format_reasons
from mailman.email.message import Message

from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.rules.pgp_not_signed_by_sender import PGPNotSignedBySender

SENDER_KEY = "1" * 40
OTHER_KEY = "2" * 40


def check(status, signer, issuer, sender_key) -> PostCheck:
    return PostCheck(CheckOutcome.OPENED, "anne@example.com", "d" * 64, status, signer, issuer,
                     sender_key)


def post() -> Message:
    msg = Message()
    msg["From"] = "anne@example.com"
    return msg


def run(outcome: PostCheck | None) -> tuple[bool, list[str]]:
    msgdata: dict[str, Any] = {}
    if outcome is not None:
        outcome.save(msgdata)
    hit = PGPNotSignedBySender().check(None, post(), msgdata)
    return hit, format_reasons(msgdata.get("moderation_reasons", []))


def test_a_good_signature_by_the_senders_key_passes(mailman):
    hit, reasons = run(check(SignatureStatus.GOOD, SENDER_KEY, None, SENDER_KEY))
    assert hit is False
    assert reasons == []


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        (check(SignatureStatus.NO_SIGNATURE, None, None, SENDER_KEY),
         ["was not signed", SENDER_KEY]),
        (check(SignatureStatus.BAD, SENDER_KEY, None, SENDER_KEY),
         ["not valid", "altered"]),
        (check(SignatureStatus.EXPIRED_KEY, SENDER_KEY, None, SENDER_KEY),
         [SENDER_KEY, "has expired"]),
        (check(SignatureStatus.REVOKED_KEY, SENDER_KEY, None, SENDER_KEY),
         [SENDER_KEY, "has been revoked"]),
        (check(SignatureStatus.UNKNOWN_KEY, None, OTHER_KEY, SENDER_KEY),
         [f"signed by key {OTHER_KEY}, not by your confirmed key {SENDER_KEY}"]),
        (check(SignatureStatus.GOOD, OTHER_KEY, None, SENDER_KEY),
         [f"signed by key {OTHER_KEY}, not by your confirmed key {SENDER_KEY}"]),
        (check(SignatureStatus.GOOD, OTHER_KEY, None, None),
         ["anne@example.com has no confirmed key"]),
        (None, ["could not check the signature"]),
        (PostCheck(CheckOutcome.UNDECRYPTABLE, "anne@example.com", "d" * 64,
                   detail=SENDER_KEY), ["could not check the signature"]),
    ],
    ids=["unsigned", "bad", "expired", "revoked", "unknown-key", "other-good-key",
         "no-sender-key", "never-checked", "not-opened"],
)
def test_every_other_outcome_is_refused_with_its_reason(mailman, outcome, words):
    hit, reasons = run(outcome)
    assert hit is True
    [reason] = reasons
    for word in words:
        assert word in reason
