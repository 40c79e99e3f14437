# Test that a post's check outcome goes into msgdata as plain, non-secret values and back, and
# that a record that does not say which post it opened counts as no check.

import pickle

import pytest

from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting.check import MSGDATA_KEY, CheckOutcome, PostCheck

SENDER_KEY = "A" * 40
OTHER_KEY = "B" * 40
DIGEST = "d" * 64
AUTHOR = "anne@example.com"


def opened(status, signer=None, issuer=None, sender_key=None) -> PostCheck:
    return PostCheck(CheckOutcome.OPENED, AUTHOR, DIGEST, status, signer, issuer, sender_key)


def test_round_trip_through_a_pickled_msgdata():
    msgdata = {}
    opened(SignatureStatus.GOOD, SENDER_KEY, "C" * 16, SENDER_KEY).save(msgdata)
    loaded = PostCheck.load(pickle.loads(pickle.dumps(msgdata)))
    assert loaded == PostCheck(CheckOutcome.OPENED, AUTHOR, DIGEST, SignatureStatus.GOOD,
                               SENDER_KEY, "C" * 16, SENDER_KEY)
    assert loaded.opened


def test_a_failed_check_round_trips_with_its_detail():
    msgdata = {}
    PostCheck(CheckOutcome.TOO_LARGE, AUTHOR, DIGEST, detail="400").save(msgdata)
    loaded = PostCheck.load(msgdata)
    assert (loaded.outcome, loaded.detail) == (CheckOutcome.TOO_LARGE, "400")
    assert not loaded.opened
    assert not loaded.signed_by_sender


def test_saved_values_are_plain_strings():
    msgdata = {}
    opened(SignatureStatus.BAD, sender_key=SENDER_KEY).save(msgdata)
    record = msgdata[MSGDATA_KEY]
    assert all(value is None or type(value) is str for value in record.values())
    assert set(record) == {"outcome", "author", "digest", "status", "signer", "issuer",
                           "sender_key", "detail", "kind", "signed_at", "signature"}


def test_the_kind_signing_time_and_signature_digest_round_trip():
    from datetime import UTC, datetime

    from mailman_pgp.mime import MessageKind

    msgdata: dict = {}
    made = PostCheck(CheckOutcome.OPENED, AUTHOR, DIGEST, SignatureStatus.GOOD, SENDER_KEY,
                     None, SENDER_KEY, kind=MessageKind.INLINE_ENCRYPTED,
                     signed_at=datetime(2025, 3, 1, 12, 30, tzinfo=UTC), signature="e" * 64)
    made.save(msgdata)
    assert msgdata[MSGDATA_KEY]["signed_at"] == "2025-03-01T12:30:00+00:00"
    assert PostCheck.load(msgdata) == made


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (opened(SignatureStatus.GOOD, SENDER_KEY, None, SENDER_KEY), True),
        (opened(SignatureStatus.GOOD, OTHER_KEY, None, SENDER_KEY), False),
        (opened(SignatureStatus.GOOD, SENDER_KEY, None, None), False),
        (opened(SignatureStatus.BAD, SENDER_KEY, None, SENDER_KEY), False),
        (opened(SignatureStatus.EXPIRED_KEY, SENDER_KEY, None, SENDER_KEY), False),
        (opened(SignatureStatus.NO_SIGNATURE, None, None, SENDER_KEY), False),
        (PostCheck(CheckOutcome.UNDECRYPTABLE, AUTHOR, DIGEST, SignatureStatus.GOOD,
                   SENDER_KEY, None, SENDER_KEY), False),
    ],
    ids=["good-by-sender", "good-by-other", "no-sender-key", "bad", "expired", "unsigned",
         "not-opened"],
)
def test_only_a_good_signature_by_the_senders_key_counts(outcome, expected):
    assert outcome.signed_by_sender is expected


@pytest.mark.parametrize(
    "msgdata",
    [
        {},
        {MSGDATA_KEY: "GOOD"},
        {MSGDATA_KEY: {"outcome": "excellent", "digest": DIGEST, "author": AUTHOR}},
        {MSGDATA_KEY: {}},
        {MSGDATA_KEY: {"outcome": "opened", "status": "good", "signer": SENDER_KEY,
                       "sender_key": SENDER_KEY}},
        {MSGDATA_KEY: {"outcome": "opened", "status": "good", "digest": "", "author": AUTHOR}},
        {MSGDATA_KEY: {"outcome": "opened", "status": "good", "digest": DIGEST,
                       "author": None}},
        {MSGDATA_KEY: {"outcome": "opened", "digest": DIGEST, "author": AUTHOR}},
        {MSGDATA_KEY: {"status": "good", "digest": DIGEST, "author": AUTHOR}},
        {MSGDATA_KEY: {"outcome": "opened", "status": "good", "digest": 7, "author": AUTHOR}},
    ],
    ids=["absent", "not-a-dict", "unknown-outcome", "empty", "no-digest-or-author",
         "empty-digest", "no-author", "no-status", "no-outcome", "digest-not-text"],
)
def test_missing_or_garbled_record_loads_as_none(msgdata):
    assert PostCheck.load(msgdata) is None


def test_forget_drops_a_stale_record():
    msgdata = {}
    opened(SignatureStatus.GOOD, SENDER_KEY, None, SENDER_KEY).save(msgdata)
    PostCheck.forget(msgdata)
    assert PostCheck.load(msgdata) is None
    assert MSGDATA_KEY not in msgdata
