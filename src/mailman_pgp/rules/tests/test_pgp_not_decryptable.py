# Test that the pgp-not-decryptable rule passes a post the PGP check opened, and refuses any
# other, with the sentence for why the check could not open it.

from typing import Any

import pytest
from mailman.core.i18n import format_reasons
from mailman.email.message import Message

from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.rules.pgp_not_decryptable import PGPNotDecryptable

AUTHOR = "anne@example.com"
DIGEST = "d" * 64
LIST_KEY = "F" * 40


def run(check: PostCheck | None) -> tuple[bool, list[str]]:
    msgdata: dict[str, Any] = {}
    if check is not None:
        check.save(msgdata)
    msg = Message()
    msg["From"] = AUTHOR
    hit = PGPNotDecryptable().check(None, msg, msgdata)
    return hit, format_reasons(msgdata.get("moderation_reasons", []))


def test_an_opened_post_passes_whatever_its_signature(mailman):
    hit, reasons = run(PostCheck(CheckOutcome.OPENED, AUTHOR, DIGEST,
                                 SignatureStatus.NO_SIGNATURE))
    assert (hit, reasons) == (False, [])


@pytest.mark.parametrize(("check", "reason"), [
    (None, "The list could not check the signature of your message."),
    (PostCheck(CheckOutcome.NO_LIST_KEY, AUTHOR),
     "This list has no OpenPGP key, so it accepts no encrypted posts."),
    (PostCheck(CheckOutcome.NO_AUTHOR, None),
     "Your message does not name exactly one author: it needs one From header with one "
     "address."),
    (PostCheck(CheckOutcome.NOT_ENCRYPTED, AUTHOR),
     "Your message was not encrypted. Posts to this list must be encrypted to the list's key "
     "and signed with your own key."),
    (PostCheck(CheckOutcome.MALFORMED, AUTHOR, DIGEST, detail="The part is broken."),
     "Your message is not well-formed: The part is broken."),
    (PostCheck(CheckOutcome.UNDECRYPTABLE, AUTHOR, DIGEST, detail=LIST_KEY),
     f"The list could not decrypt your message. Encrypt it to the list's key {LIST_KEY}."),
    (PostCheck(CheckOutcome.TOO_LARGE, AUTHOR, DIGEST, detail="400"),
     "Your message is larger than 400 KB once decrypted and decompressed, more than this "
     "list reads."),
    (PostCheck(CheckOutcome.TIMED_OUT, AUTHOR, DIGEST, detail="30"),
     "The list could not check the signature of your message."),
    (PostCheck(CheckOutcome.OVER_LIST_LIMIT, AUTHOR, DIGEST, detail="40"),
     "The list could not check the signature of your message."),
    (PostCheck(CheckOutcome.OPENED, AUTHOR, None, SignatureStatus.GOOD),
     "The list could not check the signature of your message."),
], ids=["never-checked", "no-list-key", "no-author", "not-encrypted", "malformed",
        "undecryptable", "too-large", "timed-out-unheld", "over-list-limit-unheld",
        "opened-without-digest"])
def test_a_post_not_opened_is_refused_saying_why(mailman, check, reason):
    assert run(check) == (True, [reason])
