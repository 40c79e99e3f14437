"""What an attempt's outcome means: delivered, tried again when, given up; endpoint paused or gone.

The one place that judges an answer. The sender reports an `Outcome`, the runner asks
`decide` what it means, and the outbox writes the `Decision` down; neither of them reads a
status code for its consequences. Pure values and arithmetic: no HTTP, no database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum

from public import public

from mailman_webhooks.settings import DeliverySettings

GONE_REASON = "HTTP 410 Gone"
# Answers other than 5xx that are worth another try.
_RETRY_STATUSES = frozenset({408, 425, 429})
# Answers (None: no answer at all) that speak for the endpoint rather than for one event:
# too many requests, or the receiver (or the application behind its proxy: 502, 504) down.
_ENDPOINT_WIDE = frozenset({None, 429, 502, 503, 504})
_RETRY_AFTER_STATUSES = frozenset({429, 502, 503, 504})
# Retry-After seconds with more digits than this reach past the last moment a datetime
# holds (and int() refuses thousands of digits): they ask for the longest wait there is.
_RETRY_AFTER_DIGITS = 12


@public
class Verdict(Enum):
    """What an attempt means for its delivery."""

    delivered = "delivered"
    retry = "retry"
    final = "final"
    gone = "gone"


@public
@dataclass(frozen=True)
class Outcome:
    """The result of one attempt, as recorded in a `WebhookAttempt` row."""

    status_code: int | None
    duration: float
    error: str | None = None
    retry_after: str | None = None

    @property
    def verdict(self) -> Verdict:
        """2xx delivered; 410 gone; 408, 425, 429, 5xx and no answer retried; else final."""
        code = self.status_code
        if code is None:
            return Verdict.retry
        if 200 <= code < 300:
            return Verdict.delivered
        if code == 410:
            return Verdict.gone
        if code >= 500 or code in _RETRY_STATUSES:
            return Verdict.retry
        return Verdict.final

    @property
    def endpoint_wide(self) -> bool:
        """Whether this failure speaks for the endpoint rather than for one event."""
        return self.verdict is Verdict.retry and self.status_code in _ENDPOINT_WIDE


@public
@dataclass(frozen=True)
class Decision:
    """What one attempt means for its delivery and for its endpoint.

    ``next_attempt_at`` is when the delivery is tried again; None when it is finished,
    delivered or failed as ``verdict`` says. ``error`` is the delivery's last error.
    ``endpoint_failures`` counts the endpoint's consecutive endpoint-wide failures,
    this one included (0 ends a pause), and ``endpoint_retry_at`` ends the pause this
    attempt starts. ``disable_reason`` says why the endpoint is to be disabled.
    """

    verdict: Verdict
    next_attempt_at: datetime | None
    error: str | None
    endpoint_failures: int = 0
    endpoint_retry_at: datetime | None = None
    disable_reason: str | None = None

    @property
    def delivered(self) -> bool:
        """Whether the delivery is done, successfully."""
        return self.verdict is Verdict.delivered

    @property
    def holds_endpoint(self) -> bool:
        """Whether the endpoint's other deliveries must wait: it is disabled or pausing."""
        return self.disable_reason is not None or self.endpoint_retry_at is not None


@public
def decide(
    outcome: Outcome,
    attempt: int,
    created: datetime,
    endpoint_failures: int,
    delivery: DeliverySettings,
    now: datetime,
    rng: random.Random | None = None,
) -> Decision:
    """What ``outcome`` of the ``attempt``-th try (1 for the first) of a delivery means.

    ``created`` starts the delivery's retry period; ``endpoint_failures`` counts its
    endpoint's consecutive endpoint-wide failures before this attempt. A retried
    delivery waits `backoff_delay` (no less than ``Retry-After`` on 429, 502, 503 and 504,
    but never longer than ``max_backoff``), the last time until the end of its retry
    period, and fails after it. An endpoint-wide failure (no answer, 429, 502, 503,
    504) pauses the whole endpoint on the same schedule,
    counted in its consecutive such failures, so a dead endpoint costs one attempt per
    pause; any other answer ends the pause. 410 Gone disables the endpoint.
    """
    verdict = outcome.verdict
    next_attempt_at = None
    error = outcome.error
    if verdict is Verdict.retry:
        deadline = created + delivery.retry_period
        if now >= deadline:
            error = f"{outcome.error or 'failed'}; retry period over"
        else:
            next_attempt_at = min(now + _delay(attempt, outcome, delivery, now, rng), deadline)
    failures, retry_at = 0, None
    if outcome.endpoint_wide:
        failures = endpoint_failures + 1
        retry_at = now + _delay(failures, outcome, delivery, now, rng)
    return Decision(
        verdict=verdict,
        next_attempt_at=next_attempt_at,
        error=error,
        endpoint_failures=failures,
        endpoint_retry_at=retry_at,
        disable_reason=GONE_REASON if verdict is Verdict.gone else None,
    )


@public
def backoff_delay(
    attempts: int, delivery: DeliverySettings, rng: random.Random | None = None
) -> timedelta:
    """The pause after the ``attempts``-th failed try (1 for the first).

    ``initial_backoff`` doubled per earlier failure, capped at ``max_backoff``,
    then "equal jitter": a random point in the upper half of that delay, so
    that retries of many deliveries spread out but never come much too early.
    """
    uniform = random.uniform if rng is None else rng.uniform
    base = delivery.initial_backoff.total_seconds()
    ceiling = delivery.max_backoff.total_seconds()
    exponent = min(max(attempts - 1, 0), 64)
    delay = min(ceiling, base * (2**exponent))
    return timedelta(seconds=delay / 2 + uniform(0, delay / 2))


@public
def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as a delay from ``now``.

    ``now`` is naive UTC. Unparseable or negative values give None; a date already past
    gives no delay. The delay never reaches past `datetime.max`, so that ``now`` plus it
    is still a time: whatever a receiver sends, its answer can be recorded.
    """
    if not value:
        return None
    value = value.strip()
    longest = datetime.max - now
    # ASCII digits only: "²" is a digit to str.isdigit(), but not to int().
    if value.isascii() and value.isdigit():
        if len(value.lstrip("0")) > _RETRY_AFTER_DIGITS:
            return longest
        return min(timedelta(seconds=int(value)), longest)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # Subtracted as aware times: converting a date near the ends of datetime's range
    # to UTC could step outside it.
    delay = when - now.replace(tzinfo=UTC)
    return min(max(delay, timedelta(0)), longest)


def _delay(
    failures: int,
    outcome: Outcome,
    delivery: DeliverySettings,
    now: datetime,
    rng: random.Random | None,
) -> timedelta:
    delay = backoff_delay(failures, delivery, rng)
    if outcome.status_code in _RETRY_AFTER_STATUSES:
        asked = parse_retry_after(outcome.retry_after, now)
        if asked is not None and asked > delay:
            # A receiver may ask for a longer wait, but no longer than the longest
            # there is between two attempts: an answer of years would otherwise stop
            # the endpoint as surely as a disable, without anyone being told.
            delay = min(asked, delivery.max_backoff)
    return delay
