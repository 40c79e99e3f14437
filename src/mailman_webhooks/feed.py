"""What a consumer catching up asks of the outbox: events after a sequence, and failed
deliveries of a time range scheduled again.

The REST API (`mailman_webhooks.rest.events`, `mailman_webhooks.rest.redeliveries`) is the
user; nothing here speaks HTTP. Like `mailman_webhooks.admin`, every function works on
Mailman's session and leaves the commit to its caller. Both are bounded: a page of events,
a batch of deliveries, never the whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from public import public
from sqlalchemy import CursorResult, exists, select, update
from sqlalchemy.orm import Session

from mailman_webhooks.admin import PING_EVENT
from mailman_webhooks.fanout import waiting_since
from mailman_webhooks.model import DeliveryStatus, WebhookDelivery, WebhookEvent

MAX_PAGE = 1000
"""The most events one page of the feed holds."""

MAX_REDELIVERIES = 1000
"""The most deliveries one bulk redeliver schedules; the caller asks again for more."""


@public
@dataclass(frozen=True)
class FeedPage:
    """Events in ``sequence`` order, and whether more follow the last of them."""

    events: list[WebhookEvent]
    more: bool


@public
def events_after(
    store: Session,
    after: int,
    limit: int,
    names: Sequence[str] = (),
    endpoint: str | None = None,
) -> FeedPage:
    """At most ``limit`` events with a sequence above ``after``, oldest first.

    ``names`` keeps events of these class names only; ``endpoint`` those that were due to
    that endpoint, which is known once the runner has fanned an event out: with
    ``endpoint``, the page ends before the oldest event not yet fanned out, so that a
    consumer going on from its last event never passes one it was due. Pings (an
    administrator's test of one endpoint) are left out. One query of ``limit + 1`` rows
    in primary key order.
    """
    query = (
        select(WebhookEvent)
        .where(WebhookEvent.sequence > after, WebhookEvent.name != PING_EVENT)
        .order_by(WebhookEvent.sequence)
        .limit(limit + 1)
    )
    if names:
        query = query.where(WebhookEvent.name.in_(list(names)))
    if endpoint is not None:
        boundary = waiting_since(store)
        if boundary is not None:
            query = query.where(WebhookEvent.sequence < boundary)
        query = query.where(
            exists().where(
                WebhookDelivery.event_sequence == WebhookEvent.sequence,
                WebhookDelivery.endpoint == endpoint,
            )
        )
    rows = list(store.execute(query).scalars())
    return FeedPage(rows[:limit], len(rows) > limit)


@public
@dataclass(frozen=True)
class Redelivered:
    """How many failed deliveries were scheduled again, and whether more match."""

    count: int
    more: bool


@public
def redeliver_failed(
    store: Session, endpoint: str, since: datetime, until: datetime, now: datetime
) -> Redelivered:
    """Make the endpoint's failed deliveries created in ``[since, until)`` pending, due now.

    As `mailman_webhooks.admin.redeliver` does for one: attempts and creation time stay,
    the retry period starts again from now. At most `MAX_REDELIVERIES`, oldest first, so
    that the write is short; a runner never holds a failed delivery, and the UPDATE only
    takes rows still failed, so it cannot undo a runner's or another request's work.
    """
    chosen = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.endpoint == endpoint,
            WebhookDelivery.status == DeliveryStatus.failed,
            WebhookDelivery.created >= since,
            WebhookDelivery.created < until,
        )
        .order_by(WebhookDelivery.id)
        .limit(MAX_REDELIVERIES + 1)
    )
    ids = list(store.execute(chosen).scalars())
    batch = ids[:MAX_REDELIVERIES]
    if not batch:
        return Redelivered(0, False)
    statement = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(batch), WebhookDelivery.status == DeliveryStatus.failed)
        .values(
            status=DeliveryStatus.pending,
            retry_from=now,
            next_attempt_at=now,
            finished_at=None,
            claimed_by=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    # Session.execute is typed to give a Result; for an UPDATE it is a CursorResult.
    result = cast(CursorResult[Any], store.execute(statement))
    return Redelivered(result.rowcount, len(ids) > MAX_REDELIVERIES)
