"""When to try a failed delivery again: exponential backoff, jitter, Retry-After."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from public import public

from mailman_webhooks.settings import DeliverySettings


@public
def backoff_delay(
    attempts: int, delivery: DeliverySettings, rng: random.Random | None = None
) -> timedelta:
    """The pause after the ``attempts``-th failed try (1 for the first).

    ``initial_backoff`` doubled per earlier failure, capped at ``max_backoff``,
    then "equal jitter": a random point in the upper half of that delay, so
    that retries of many deliveries spread out but never come much too early.
    """
    rng = rng or random
    base = delivery.initial_backoff.total_seconds()
    ceiling = delivery.max_backoff.total_seconds()
    exponent = min(max(attempts - 1, 0), 64)
    delay = min(ceiling, base * (2**exponent))
    return timedelta(seconds=delay / 2 + rng.uniform(0, delay / 2))


@public
def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as a delay from ``now``.

    ``now`` is naive UTC. Unparseable or negative values give None.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is not None:
        when = (when - when.utcoffset()).replace(tzinfo=None)
    delay = when - now
    return delay if delay >= timedelta(0) else timedelta(0)
