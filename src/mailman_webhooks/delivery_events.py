"""The plugin's own events about delivery: an endpoint disabled, a delivery failed for good.

The runner records them, like Mailman's events (serialized, one delivery to each endpoint
whose ``events`` expression matches), in the transaction that records what they announce,
so that other endpoints (a monitoring application) learn of it. Never to the endpoint they
are about, which could not take them; and a delivery of one of them that fails for good
announces nothing more: two failing endpoints would otherwise announce each other's
failures for ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from public import public
from sqlalchemy.orm import Session

from mailman_webhooks.capture import event_row, write_delivered_event
from mailman_webhooks.settings import Settings


@public
@dataclass(frozen=True)
class WebhookEndpointDisabledEvent:
    """An endpoint answered ``410 Gone``: nothing is sent to it until it is enabled again."""

    endpoint: str
    reason: str


@public
@dataclass(frozen=True)
class WebhookDeliveryFailedEvent:
    """The delivery of an event to an endpoint failed for good: no attempt follows."""

    endpoint: str
    delivery: int
    event_id: str
    event_name: str
    sequence: int
    attempts: int
    status_code: int | None
    error: str | None


NAMES = frozenset({WebhookEndpointDisabledEvent.__name__, WebhookDeliveryFailedEvent.__name__})
"""The class names of these events; a failed delivery of one of them is not announced."""
public(NAMES=NAMES)


@public
def announce(store: Session, settings: Settings, event: Any, about: str) -> int:
    """Record ``event`` for every endpoint that wants it but ``about``; return how many.

    Written through ``store``, in its transaction, with its deliveries (the runner records
    it, and fans it out itself); nothing is recorded when no other endpoint wants it.
    """
    row = event_row(event, settings)
    if row is None:
        return 0
    others = tuple(name for name in row.endpoints if name != about)
    if others:
        write_delivered_event(row, others, store)
    return len(others)
