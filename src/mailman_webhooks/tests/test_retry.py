# Test the one retry decision: what each answer means for its delivery and its endpoint, retry
# delays that grow exponentially with jitter up to the cap and end with the retry period, endpoint
# pauses counted in consecutive failures, and Retry-After in seconds or as an HTTP date (a
# garbled or endless one never stops an answer from being recorded).

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from mailman_webhooks.retry import (
    GONE_REASON,
    Outcome,
    Verdict,
    backoff_delay,
    decide,
    parse_retry_after,
)
from mailman_webhooks.settings import DeliverySettings

DELIVERY = DeliverySettings(
    retry_period=timedelta(days=3),
    initial_backoff=timedelta(seconds=5),
    max_backoff=timedelta(hours=1),
    batch_size=10,
    lease=timedelta(hours=1),
)


@pytest.mark.parametrize(
    ("attempts", "full"), [(1, 5), (2, 10), (3, 20), (8, 640), (10, 2560), (11, 3600), (500, 3600)]
)
def test_delay_is_between_half_and_full_exponential_step(attempts, full):
    rng = random.Random(attempts)
    for _ in range(50):
        delay = backoff_delay(attempts, DELIVERY, rng).total_seconds()
        assert full / 2 <= delay <= full


def test_jitter_spreads_retries():
    rng = random.Random(1)
    delays = {backoff_delay(4, DELIVERY, rng) for _ in range(20)}
    assert len(delays) > 10


NOW = datetime(2026, 1, 2, 3, 4, 5)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 7 ", timedelta(seconds=7)),
        ("Fri, 02 Jan 2026 03:05:05 GMT", timedelta(seconds=60)),
        ("Fri, 02 Jan 2026 05:05:05 +0200", timedelta(seconds=60)),
        ("Thu, 01 Jan 2026 00:00:00 GMT", timedelta(0)),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
        ("0000000000000000007", timedelta(seconds=7)),
        ("\u00b2", None),
        ("Fri, 02 Jan 99999999999999999999 03:05:05 GMT", None),
        ("1" + "0" * 20, datetime.max - NOW),
        ("9" * 5000, datetime.max - NOW),
        ("Fri, 31 Dec 9999 23:59:59 -0100", datetime.max - NOW),
    ],
    ids=["seconds", "spaces", "http-date", "offset", "past", "garbage", "negative", "empty",
         "absent", "leading-zeros", "superscript-two", "year-too-large", "beyond-datetime",
         "thousands-of-digits", "date-beyond-datetime"],
)
def test_retry_after(header, expected):
    assert parse_retry_after(header, NOW) == expected


CREATED = NOW - timedelta(hours=1)


def decision_for(outcome: Outcome, attempt: int = 1, endpoint_failures: int = 0, now=NOW,
                 seed: int = 1):
    return decide(outcome, attempt, CREATED, endpoint_failures, DELIVERY, now,
                  random.Random(seed))


@pytest.mark.parametrize(
    ("status", "verdict", "retried", "paused", "disabled"),
    [
        (200, Verdict.delivered, False, False, False),
        (204, Verdict.delivered, False, False, False),
        (400, Verdict.final, False, False, False),
        (301, Verdict.final, False, False, False),
        (410, Verdict.gone, False, False, True),
        (408, Verdict.retry, True, False, False),
        (500, Verdict.retry, True, False, False),
        (429, Verdict.retry, True, True, False),
        (502, Verdict.retry, True, True, False),
        (503, Verdict.retry, True, True, False),
        (504, Verdict.retry, True, True, False),
        (None, Verdict.retry, True, True, False),
    ],
)
def test_what_each_answer_means_for_the_delivery_and_its_endpoint(
    status, verdict, retried, paused, disabled
):
    error = None if status is not None and 200 <= status < 300 else "what happened"
    decision = decision_for(Outcome(status, 0.1, error))
    assert decision.verdict is verdict
    assert decision.delivered is (verdict is Verdict.delivered)
    assert (decision.next_attempt_at is not None) is retried
    assert (decision.endpoint_retry_at is not None) is paused
    assert decision.endpoint_failures == (1 if paused else 0)
    assert decision.disable_reason == (GONE_REASON if disabled else None)
    assert decision.holds_endpoint is (paused or disabled)
    assert decision.error == error


def test_a_retry_waits_the_backoff_of_its_attempt():
    for attempt, full in ((1, 5), (3, 20)):
        decision = decision_for(Outcome(500, 0.1, "HTTP 500"), attempt=attempt)
        wait = (decision.next_attempt_at - NOW).total_seconds()
        assert full / 2 <= wait <= full


def test_the_last_retry_is_at_the_end_of_the_retry_period_and_none_after_it():
    deadline = CREATED + DELIVERY.retry_period
    late = decision_for(Outcome(500, 0.1, "HTTP 500"), attempt=30,
                        now=deadline - timedelta(seconds=1))
    assert late.next_attempt_at == deadline
    over = decision_for(Outcome(500, 0.1, "HTTP 500"), now=deadline)
    assert (over.verdict, over.next_attempt_at) == (Verdict.retry, None)
    assert over.error == "HTTP 500; retry period over"
    silent = decision_for(Outcome(None, 0.1), now=deadline)
    assert silent.error == "failed; retry period over"
    assert silent.endpoint_retry_at is not None


def test_an_endpoint_pause_grows_with_consecutive_failures():
    decision = decision_for(Outcome(None, 0.1, "ConnectionError"), endpoint_failures=3)
    assert decision.endpoint_failures == 4
    pause = (decision.endpoint_retry_at - NOW).total_seconds()
    assert 20 <= pause <= 40


def test_retry_after_lengthens_the_pause_and_the_retry_but_never_shortens_them():
    asked = decision_for(Outcome(429, 0.1, "HTTP 429", retry_after="600"))
    assert asked.next_attempt_at == asked.endpoint_retry_at == NOW + timedelta(seconds=600)
    short = decision_for(Outcome(503, 0.1, "HTTP 503", retry_after="1"), attempt=3)
    assert short.next_attempt_at - NOW >= timedelta(seconds=10)
    ignored = decision_for(Outcome(500, 0.1, "HTTP 500", retry_after="600"))
    assert ignored.next_attempt_at - NOW <= timedelta(seconds=5)


@pytest.mark.parametrize("header", ["300000000000", "1" + "0" * 20, "7200",
                                    "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_retry_after_longer_than_max_backoff_waits_max_backoff(header):
    # Such an answer once failed the runner's whole batch; later it paused the
    # endpoint until the year 9999, a disable nobody was told about.
    decision = decision_for(Outcome(503, 0.1, "HTTP 503", retry_after=header))
    assert decision.next_attempt_at == NOW + DELIVERY.max_backoff
    assert decision.endpoint_retry_at == NOW + DELIVERY.max_backoff


def test_any_other_answer_ends_the_pause():
    for status in (200, 400, 410, 500):
        decision = decision_for(Outcome(status, 0.1), endpoint_failures=4)
        assert (decision.endpoint_failures, decision.endpoint_retry_at) == (0, None)
