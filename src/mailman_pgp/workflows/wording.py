"""Durations as people read them in the list's messages."""

from datetime import timedelta

from public import public


@public
def describe_lifetime(lifetime: timedelta) -> str:
    """``1 day``, ``2 days``, ``6 hours``, ``90 minutes``: the largest whole unit."""
    seconds = int(lifetime.total_seconds())
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {name}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"
