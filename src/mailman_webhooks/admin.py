"""What an administrator asks of the outbox: endpoint health, deliveries, redeliver, ping.

The REST API is the first user; nothing here speaks HTTP. Like `mailman_webhooks.outbox`,
every function works on Mailman's session and leaves the commit to its caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from public import public
from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from mailman_webhooks.model import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpointState,
    WebhookEvent,
)
from mailman_webhooks.settings import Endpoint

PING_EVENT = "WebhookPingEvent"

_SUCCESS = and_(WebhookAttempt.status_code >= 200, WebhookAttempt.status_code < 300)
_FAILURE = or_(WebhookAttempt.status_code.is_(None), not_(_SUCCESS))


@public
@dataclass(frozen=True)
class EndpointHealth:
    """What the outbox says about one endpoint."""

    disabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    last_success: datetime | None
    last_failure: datetime | None
    consecutive_failures: int
    pending: int


@public
class DeliveryBusy(Exception):
    """A runner holds the delivery right now; redelivering would race with it."""


def _latest_attempts(
    store: Session, condition: ColumnElement[bool]
) -> dict[str, tuple[int, datetime]]:
    """Per endpoint, the id and time of its newest attempt meeting ``condition``."""
    newest = (
        select(WebhookDelivery.endpoint, func.max(WebhookAttempt.id).label("id"))
        .join(WebhookDelivery, WebhookAttempt.delivery_id == WebhookDelivery.id)
        .where(condition)
        .group_by(WebhookDelivery.endpoint)
        .subquery()
    )
    rows = store.execute(
        select(newest.c.endpoint, WebhookAttempt.id, WebhookAttempt.at).join(
            WebhookAttempt, WebhookAttempt.id == newest.c.id
        )
    )
    return {endpoint: (attempt_id, at) for endpoint, attempt_id, at in rows}


@public
def endpoint_health(store: Session, names: Sequence[str]) -> dict[str, EndpointHealth]:
    """Health of each named endpoint, from its attempts, deliveries and state row."""
    successes = _latest_attempts(store, _SUCCESS)
    failures = _latest_attempts(store, _FAILURE)
    pending = dict(
        store.execute(
            select(WebhookDelivery.endpoint, func.count())
            .where(WebhookDelivery.status == DeliveryStatus.pending)
            .group_by(WebhookDelivery.endpoint)
        ).tuples().all()
    )
    states = {
        state.name: state
        for state in store.execute(select(WebhookEndpointState)).scalars()
    }
    result: dict[str, EndpointHealth] = {}
    for name in names:
        success = successes.get(name)
        failure = failures.get(name)
        streak = 0
        if failure is not None and (success is None or failure[0] > success[0]):
            query = (
                select(func.count())
                .select_from(WebhookAttempt)
                .join(WebhookDelivery, WebhookAttempt.delivery_id == WebhookDelivery.id)
                .where(WebhookDelivery.endpoint == name, _FAILURE)
            )
            if success is not None:
                query = query.where(WebhookAttempt.id > success[0])
            streak = store.execute(query).scalar_one()
        state = states.get(name)
        disabled = state if state is not None and state.disabled else None
        result[name] = EndpointHealth(
            disabled=disabled is not None,
            disabled_reason=None if disabled is None else disabled.disabled_reason,
            disabled_at=None if disabled is None else disabled.disabled_at,
            last_success=None if success is None else success[1],
            last_failure=None if failure is None else failure[1],
            consecutive_failures=streak,
            pending=pending.get(name, 0),
        )
    return result


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
        if event_name is not None:
            conditions.append(WebhookEvent.name == event_name)
        self._conditions = conditions
        self._length: int | None = None

    def _select(self, what: Any) -> Select[Any]:
        query = select(what).select_from(WebhookDelivery).join(WebhookDelivery.event)
        return query.where(*self._conditions)

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
def redeliver(delivery: WebhookDelivery, now: datetime) -> None:
    """Make a delivery pending and due now, whatever its status; keep its attempts.

    Its retry period starts again from now (``created`` is moved), so that an old
    delivery is retried as long as a new one. Raises `DeliveryBusy` while a runner's
    lease on it runs: that runner would overwrite the new schedule with its result.
    """
    if (
        delivery.status is DeliveryStatus.pending
        and delivery.claimed_until is not None
        and delivery.claimed_until > now
    ):
        raise DeliveryBusy(delivery.id)
    delivery.status = DeliveryStatus.pending
    delivery.created = now
    delivery.next_attempt_at = now
    delivery.finished_at = None
    delivery.claimed_by = None
    delivery.claimed_until = None


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
