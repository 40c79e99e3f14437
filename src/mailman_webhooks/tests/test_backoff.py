# Test that retry delays grow exponentially with jitter up to the cap, and that Retry-After
# in seconds or as an HTTP date is understood.

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from mailman_webhooks.backoff import backoff_delay, parse_retry_after
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
    ],
    ids=["seconds", "spaces", "http-date", "offset", "past", "garbage", "negative", "empty",
         "absent"],
)
def test_retry_after(header, expected):
    assert parse_retry_after(header, NOW) == expected
