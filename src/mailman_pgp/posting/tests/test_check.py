# Test that a post's check outcome goes into msgdata as plain, non-secret values and back, and
# that a record that does not say which post it was made for counts as no check.

import pickle

import pytest

from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting.check import MSGDATA_KEY, PostCheck

SENDER_KEY = "A" * 40
OTHER_KEY = "B" * 40
DIGEST = "d" * 64
AUTHOR = "anne@example.com"


def check(status, signer=None, issuer=None, sender_key=None) -> PostCheck:
    return PostCheck(status, DIGEST, AUTHOR, signer, issuer, sender_key)


def test_round_trip_through_a_pickled_msgdata():
    msgdata = {}
    check(SignatureStatus.GOOD, SENDER_KEY, "C" * 16, SENDER_KEY).save(msgdata)
    loaded = PostCheck.load(pickle.loads(pickle.dumps(msgdata)))
    assert loaded == PostCheck(SignatureStatus.GOOD, DIGEST, AUTHOR, SENDER_KEY, "C" * 16,
                               SENDER_KEY)


def test_saved_values_are_plain_strings():
    msgdata = {}
    check(SignatureStatus.BAD, sender_key=SENDER_KEY).save(msgdata)
    record = msgdata[MSGDATA_KEY]
    assert all(value is None or type(value) is str for value in record.values())
    assert set(record) == {"status", "digest", "author", "signer", "issuer", "sender_key"}


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (check(SignatureStatus.GOOD, SENDER_KEY, None, SENDER_KEY), True),
        (check(SignatureStatus.GOOD, OTHER_KEY, None, SENDER_KEY), False),
        (check(SignatureStatus.GOOD, SENDER_KEY, None, None), False),
        (check(SignatureStatus.BAD, SENDER_KEY, None, SENDER_KEY), False),
        (check(SignatureStatus.EXPIRED_KEY, SENDER_KEY, None, SENDER_KEY), False),
        (check(SignatureStatus.NO_SIGNATURE, None, None, SENDER_KEY), False),
    ],
    ids=["good-by-sender", "good-by-other", "no-sender-key", "bad", "expired", "unsigned"],
)
def test_only_a_good_signature_by_the_senders_key_counts(outcome, expected):
    assert outcome.signed_by_sender is expected


@pytest.mark.parametrize(
    "msgdata",
    [
        {},
        {MSGDATA_KEY: "GOOD"},
        {MSGDATA_KEY: {"status": "excellent", "digest": DIGEST, "author": AUTHOR}},
        {MSGDATA_KEY: {}},
        {MSGDATA_KEY: {"status": "good", "signer": SENDER_KEY, "sender_key": SENDER_KEY}},
        {MSGDATA_KEY: {"status": "good", "digest": "", "author": AUTHOR}},
        {MSGDATA_KEY: {"status": "good", "digest": DIGEST, "author": None}},
    ],
    ids=["absent", "not-a-dict", "unknown-status", "empty", "no-digest-or-author",
         "empty-digest", "no-author"],
)
def test_missing_or_garbled_record_loads_as_none(msgdata):
    assert PostCheck.load(msgdata) is None


def test_forget_drops_a_stale_record():
    msgdata = {}
    check(SignatureStatus.GOOD, SENDER_KEY, None, SENDER_KEY).save(msgdata)
    PostCheck.forget(msgdata)
    assert PostCheck.load(msgdata) is None
    assert MSGDATA_KEY not in msgdata
