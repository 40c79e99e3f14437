"""Wall-clock time for the outbox, naive UTC as Mailman's database stores it.

Mailman's own ``now()`` is frozen by its test layers; retry schedules and leases
need the real clock in every process, so the plugin keeps its own.
"""

from datetime import UTC, datetime

from public import public


@public
def utcnow() -> datetime:
    """The current time in UTC, without tzinfo."""
    return datetime.now(UTC).replace(tzinfo=None)


@public
def isoformat(moment: datetime) -> str:
    """ISO 8601 with an explicit UTC designator, as sent to receivers."""
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
