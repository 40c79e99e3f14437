"""What an administrator asks of the outbox: endpoint health, deliveries, redeliver, ping.

The REST API is the first user; nothing here speaks HTTP. Like `mailman_webhooks.outbox`,
every function works on Mailman's session and leaves the commit to its caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast, overload

from public import public
from sqlalchemy import CursorResult, Select, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from mailman_webhooks.model import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpointState,
    WebhookEvent,
)
from mailman_webhooks.settings import Endpoint

PING_EVENT = "WebhookPingEvent"


@public
@dataclass(frozen=True)
class EndpointHealth:
    """What the outbox says about one endpoint.

    ``paused_until`` is set while the endpoint pauses after endpoint-wide failures (no
    answer, 429, 502, 503, 504), and ``paused_reason`` is the failure that paused it.
    """

    disabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    paused_until: datetime | None
    paused_reason: str | None
    last_success: datetime | None
    last_failure: datetime | None
    consecutive_failures: int
    pending: int


@public
class DeliveryBusy(Exception):
    """A runner holds the delivery right now; redelivering would race with it."""


@public
def endpoint_health(
    store: Session, names: Sequence[str], now: datetime
) -> dict[str, EndpointHealth]:
    """Health of each named endpoint, from its state row and its pending deliveries.

    The state row holds counters the runner updates with each attempt, so this reads
    one row per endpoint and counts the pending deliveries, whatever the attempts table
    and the finished deliveries hold.
    """
    if not names:
        return {}
    # Read from the index on (endpoint, status, ...) alone: it costs what these
    # endpoints' pending rows cost, never their finished ones nor other endpoints'.
    pending = dict(
        store.execute(
            select(WebhookDelivery.endpoint, func.count())
            .where(
                WebhookDelivery.endpoint.in_(sorted(names)),
                WebhookDelivery.status == DeliveryStatus.pending,
            )
            .group_by(WebhookDelivery.endpoint)
        ).tuples().all()
    )
    query = select(WebhookEndpointState).where(WebhookEndpointState.name.in_(sorted(names)))
    states = {state.name: state for state in store.execute(query).scalars()}
    return {name: _health(states.get(name), pending.get(name, 0), now) for name in names}


def _health(state: WebhookEndpointState | None, pending: int, now: datetime) -> EndpointHealth:
    if state is None:  # Never tried, never disabled.
        return EndpointHealth(
            disabled=False,
            disabled_reason=None,
            disabled_at=None,
            paused_until=None,
            paused_reason=None,
            last_success=None,
            last_failure=None,
            consecutive_failures=0,
            pending=pending,
        )
    paused = state.retry_at is not None and state.retry_at > now
    return EndpointHealth(
        disabled=state.disabled,
        disabled_reason=state.disabled_reason if state.disabled else None,
        disabled_at=state.disabled_at if state.disabled else None,
        paused_until=state.retry_at if paused else None,
        # While it pauses, no attempt is made: the latest failure is the one that paused it.
        paused_reason=state.last_error if paused else None,
        last_success=state.last_success_at,
        last_failure=state.last_failure_at,
        consecutive_failures=state.failed_attempts,
        pending=pending,
    )


@public
def resume_endpoint(store: Session, name: str) -> None:
    """Send to the endpoint again now: end its disable (410 Gone, REST) and its pause.

    Its counters stay: they describe the attempts made, not the decision undone.
    """
    state = store.get(WebhookEndpointState, name)
    if state is None:
        return
    state.disabled = False
    state.disabled_reason = None
    state.disabled_at = None
    state.failures = 0
    state.retry_at = None


@public
def endpoint_has_deliveries(store: Session, name: str) -> bool:
    """Whether the outbox holds deliveries to this endpoint name (configured or not)."""
    query = select(WebhookDelivery.id).where(WebhookDelivery.endpoint == name).limit(1)
    return store.execute(query).first() is not None


@public
class DeliveryQuery(Sequence[WebhookDelivery]):
    """Deliveries matching optional filters, newest first, read one page at a time.

    A sequence, so that Mailman's ``CollectionMixin`` pages it: ``len()`` is a COUNT
    and a slice is a LIMIT/OFFSET query, never the whole table.
    """

    def __init__(
        self,
        store: Session,
        endpoint: str | None = None,
        status: DeliveryStatus | None = None,
        event_name: str | None = None,
    ) -> None:
        self._store = store
        conditions = []
        if endpoint is not None:
            conditions.append(WebhookDelivery.endpoint == endpoint)
        if status is not None:
            conditions.append(WebhookDelivery.status == status)
        self._conditions = conditions
        self._event_name = event_name
        self._length: int | None = None

    def _select(self, what: Any) -> Select[Any]:
        query = select(what).select_from(WebhookDelivery).where(*self._conditions)
        # The join only when the event's name is asked for: counting a million rows
        # through it costs several times as much.
        if self._event_name is not None:
            query = query.join(WebhookDelivery.event).where(WebhookEvent.name == self._event_name)
        return query

    def __len__(self) -> int:
        if self._length is None:
            self._length = self._store.execute(self._select(func.count())).scalar_one()
        return self._length

    def _rows(self, offset: int, limit: int | None) -> list[WebhookDelivery]:
        query = (
            self._select(WebhookDelivery)
            .options(joinedload(WebhookDelivery.event))
            .order_by(WebhookDelivery.id.desc())
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        return list(self._store.execute(query).scalars())

    @overload
    def __getitem__(self, index: int) -> WebhookDelivery: ...

    @overload
    def __getitem__(self, index: slice) -> list[WebhookDelivery]: ...

    def __getitem__(self, index: int | slice) -> WebhookDelivery | list[WebhookDelivery]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("only contiguous slices")
            return self._rows(start, max(stop - start, 0))
        if index < 0:
            index += len(self)
        rows = self._rows(index, 1)
        if not rows:
            raise IndexError(index)
        return rows[0]

    def __iter__(self) -> Iterator[WebhookDelivery]:
        return iter(self._rows(0, None))


@public
def get_delivery(store: Session, delivery_id: int) -> WebhookDelivery | None:
    """One delivery with its event and attempts, or None."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .options(joinedload(WebhookDelivery.event), selectinload(WebhookDelivery.attempt_log))
    )
    return store.execute(query).scalars().first()


@public
def redeliver(store: Session, delivery_id: int, now: datetime) -> None:
    """Make a delivery pending and due now, whatever its status; keep its attempts.

    Its creation time (and its event's) stay; its retry period starts again from now
    (``retry_from``), so that an old delivery is retried as long as a new one. One
    conditional UPDATE, so that it cannot overwrite a claim a runner makes meanwhile:
    raises `DeliveryBusy` while a runner's lease on the delivery runs (that runner would
    overwrite the new schedule with its result). The caller reads the delivery again.
    """
    free = or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now)
    statement = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, free)
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
    if result.rowcount != 1:
        raise DeliveryBusy(delivery_id)


@public
def ping(store: Session, endpoint: Endpoint, now: datetime) -> WebhookDelivery:
    """Queue a ``WebhookPingEvent`` for this endpoint alone, whatever its ``events``.

    The runner sends it like any event, so a ping tests the whole path: outbox,
    runner, signature, the endpoint's answer. The caller flushes to get its ids.
    """
    event = WebhookEvent(PING_EVENT, now, {"endpoint": endpoint.name})
    delivery = WebhookDelivery(event, endpoint.name, now)
    store.add(event)
    return delivery
