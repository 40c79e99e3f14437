# Test that a post's check outcome goes into msgdata as plain, non-secret values and back.

import pickle

import pytest

from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting.check import MSGDATA_KEY, PostCheck

SENDER_KEY = "A" * 40
OTHER_KEY = "B" * 40


def test_round_trip_through_a_pickled_msgdata():
    msgdata = {}
    PostCheck(SignatureStatus.GOOD, signer=SENDER_KEY, issuer="C" * 16,
              sender_key=SENDER_KEY).save(msgdata)
    loaded = PostCheck.load(pickle.loads(pickle.dumps(msgdata)))
    assert loaded == PostCheck(SignatureStatus.GOOD, SENDER_KEY, "C" * 16, SENDER_KEY)


def test_saved_values_are_plain_strings():
    msgdata = {}
    PostCheck(SignatureStatus.BAD, sender_key=SENDER_KEY).save(msgdata)
    record = msgdata[MSGDATA_KEY]
    assert all(value is None or type(value) is str for value in record.values())
    assert set(record) == {"status", "signer", "issuer", "sender_key"}


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (PostCheck(SignatureStatus.GOOD, SENDER_KEY, None, SENDER_KEY), True),
        (PostCheck(SignatureStatus.GOOD, OTHER_KEY, None, SENDER_KEY), False),
        (PostCheck(SignatureStatus.GOOD, SENDER_KEY, None, None), False),
        (PostCheck(SignatureStatus.BAD, SENDER_KEY, None, SENDER_KEY), False),
        (PostCheck(SignatureStatus.EXPIRED_KEY, SENDER_KEY, None, SENDER_KEY), False),
        (PostCheck(SignatureStatus.NO_SIGNATURE, None, None, SENDER_KEY), False),
    ],
    ids=["good-by-sender", "good-by-other", "no-sender-key", "bad", "expired", "unsigned"],
)
def test_only_a_good_signature_by_the_senders_key_counts(check, expected):
    assert check.signed_by_sender is expected


@pytest.mark.parametrize(
    "msgdata",
    [{}, {MSGDATA_KEY: "GOOD"}, {MSGDATA_KEY: {"status": "excellent"}}, {MSGDATA_KEY: {}}],
    ids=["absent", "not-a-dict", "unknown-status", "empty"],
)
def test_missing_or_garbled_record_loads_as_none(msgdata):
    assert PostCheck.load(msgdata) is None


def test_forget_drops_a_stale_record():
    msgdata = {}
    PostCheck(SignatureStatus.GOOD, SENDER_KEY, None, SENDER_KEY).save(msgdata)
    PostCheck.forget(msgdata)
    assert PostCheck.load(msgdata) is None
    assert MSGDATA_KEY not in msgdata
