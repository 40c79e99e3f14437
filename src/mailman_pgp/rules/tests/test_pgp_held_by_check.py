# Test that the rules holding a post the PGP check set aside (pgp-too-slow,
# pgp-plaintext-over-list-limit) hit only for their own outcome, each with its reason.

from typing import Any

import pytest
from mailman.core.i18n import format_reasons
from mailman.email.message import Message

from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.rules.pgp_plaintext_over_list_limit import PGPPlaintextOverListLimit
from mailman_pgp.rules.pgp_too_slow import PGPTooSlow

AUTHOR = "anne@example.com"
DIGEST = "d" * 64


def run(rule, check: PostCheck | None) -> tuple[bool, list[str]]:
    msgdata: dict[str, Any] = {}
    if check is not None:
        check.save(msgdata)
    msg = Message()
    msg["From"] = AUTHOR
    hit = rule.check(None, msg, msgdata)
    return hit, format_reasons(msgdata.get("moderation_reasons", []))


OTHERS = [
    None,
    PostCheck(CheckOutcome.OPENED, AUTHOR, DIGEST, SignatureStatus.GOOD),
    PostCheck(CheckOutcome.TOO_LARGE, AUTHOR, DIGEST, detail="25600"),
    PostCheck(CheckOutcome.UNDECRYPTABLE, AUTHOR, DIGEST, detail="F" * 40),
]


def test_a_post_not_read_in_time_is_held_saying_a_moderator_can_retry(mailman):
    check = PostCheck(CheckOutcome.TIMED_OUT, AUTHOR, DIGEST, detail="30")
    assert check.set_aside
    assert run(PGPTooSlow(), check) == (True, [
        "The list could not read your message within 30 seconds. A moderator can have it"
        " read again."])


def test_a_post_over_the_lists_plaintext_limit_is_held_naming_it(mailman):
    check = PostCheck(CheckOutcome.OVER_LIST_LIMIT, AUTHOR, DIGEST, detail="400")
    assert check.set_aside
    assert run(PGPPlaintextOverListLimit(), check) == (True, [
        "Your message is larger than 400 KB once decrypted and decompressed, more than this"
        " list accepts without a moderator's approval."])


@pytest.mark.parametrize("check", OTHERS, ids=["unchecked", "opened", "too-large",
                                               "undecryptable"])
def test_other_outcomes_are_left_to_the_other_rules(mailman, check):
    assert run(PGPTooSlow(), check) == (False, [])
    assert run(PGPPlaintextOverListLimit(), check) == (False, [])
    assert check is None or not check.set_aside
