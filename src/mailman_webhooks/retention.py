"""How long the outbox keeps what: deliveries past their retry period are failed, and
finished deliveries, their attempts and their events are removed after ``retention``.

Both happen in batches of at most a thousand rows, each in a short transaction of its own,
found through an index (``ix_webhook_delivery_expiry``, ``ix_webhook_delivery_finished``)
so that a batch costs the same however large the outbox is. On SQLite a writer holds
the whole database: one long transaction would make Mailman's own writes wait past
their 5 s busy timeout and fail. `Sweep` spaces the batches out, so that the runner's
lanes and Mailman's processes get the lock between them.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, cast

from public import public
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    Table,
    delete,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningDelete, ReturningUpdate

from mailman_webhooks import delivery_events, outbox
from mailman_webhooks.clock import utcnow
from mailman_webhooks.delivery_events import WebhookDeliveryFailedEvent
from mailman_webhooks.model import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent
from mailman_webhooks.settings import Settings

log = logging.getLogger("mailman.plugins")

EXPIRY_BATCH = 1000
"""The most deliveries one expiry transaction marks failed (about 20 ms on SQLite)."""

PRUNE_BATCH = 500
"""The most deliveries (with their attempts and events) one pruning transaction removes
(about 60 ms on SQLite)."""

SWEEP_INTERVAL = 60.0
"""Seconds from the end of one sweep to the start of the next."""

MIN_PAUSE = 0.05
"""Seconds at least between two batches of a sweep, which also waits at least as long as
the batch took: the database is free at least half of the time, so a process waiting for
SQLite's lock (its busy handler looks again after 1, 2, 5, ... up to 100 ms) gets it."""

RETRY_PERIOD_OVER = "retry period over"
"""The last error of a delivery failed by the sweep."""

_DELIVERIES = cast(Table, WebhookDelivery.__table__)
_D = WebhookDelivery


def _chosen(query: Select[tuple[int]], name: str, dialect: str) -> ColumnElement[bool]:
    """The rows a batch works on (``id IN ...``), chosen once and locked, or atomically.

    On PostgreSQL as in `mailman_webhooks.outbox.claim`: a MATERIALIZED ``SELECT ... FOR
    UPDATE SKIP LOCKED``, whose rows are checked again when locked, so a row another
    transaction changed meanwhile is taken only if it still qualifies. On SQLite a plain
    subquery: the one statement runs alone; and as a CTE the statement would start with
    WITH, before which Python's sqlite3 opens no transaction, so it would commit on its
    own, apart from the rest of the batch. The statement around the choice looks the rows
    up by primary key only: repeating the conditions there made SQLite, which has no
    statistics, read them through the index instead, all million pending rows of them.
    """
    if dialect != "postgresql":
        return _DELIVERIES.c.id.in_(query)
    chosen = (
        query.with_for_update(skip_locked=True)
        .cte(name)
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return _DELIVERIES.c.id.in_(select(chosen.c.id))


@public
def expiry_statement(
    now: datetime, settings: Settings, dialect: str
) -> ReturningUpdate[tuple[int, str, int, int, int | None]]:
    """The UPDATE of `expire_batch` on ``dialect``; what it failed: id, endpoint, event,
    attempts and last status code of each delivery."""
    cutoff = now - settings.delivery.retry_period
    expiring = _chosen(
        select(_D.id)
        .where(
            _D.status == DeliveryStatus.pending,
            _D.retry_from < cutoff,
            or_(_D.claimed_until.is_(None), _D.claimed_until < now),
        )
        .order_by(_D.retry_from)
        .limit(EXPIRY_BATCH),
        "expiring",
        dialect,
    )
    return (
        update(_DELIVERIES)
        .where(expiring)
        .values(
            status=DeliveryStatus.failed,
            finished_at=now,
            next_attempt_at=None,
            last_error=RETRY_PERIOD_OVER,
        )
        .returning(
            _DELIVERIES.c.id,
            _DELIVERIES.c.endpoint,
            _DELIVERIES.c.event_sequence,
            _DELIVERIES.c.attempts,
            _DELIVERIES.c.last_status_code,
        )
    )


@public
def expire_batch(store: Session, settings: Settings, now: datetime) -> Counter[str]:
    """Mark failed up to `EXPIRY_BATCH` pending deliveries past their retry period.

    Return how many per endpoint. These are deliveries that never got their last try:
    their endpoint kept pausing, was disabled, or is no longer configured. Every pending
    delivery ends this way at the latest, so the outbox stays bounded whatever becomes
    of an endpoint; a failed one can still be redelivered during the retention period.
    Deliveries a runner holds are left to it.

    Each one of an endpoint that is configured and not disabled is announced to the
    other endpoints (`WebhookDeliveryFailedEvent`), in the same transaction; those of a
    disabled endpoint are not (its disable was), nor those of a removed one.
    """
    expired = store.execute(expiry_statement(now, settings, _dialect(store))).all()
    if not expired:
        return Counter()
    quiet = outbox.disabled_endpoints(store) | (
        {row.endpoint for row in expired} - set(settings.endpoints))
    announced = [row for row in expired if row.endpoint not in quiet]
    events = {
        row.sequence: row
        for row in store.execute(
            select(WebhookEvent.sequence, WebhookEvent.id, WebhookEvent.name).where(
                WebhookEvent.sequence.in_(sorted({row.event_sequence for row in announced}))
            )
        )
    }
    for row in announced:
        event = events[row.event_sequence]
        if event.name in delivery_events.NAMES:
            continue
        notice = WebhookDeliveryFailedEvent(
            endpoint=row.endpoint,
            delivery=row.id,
            event_id=str(event.id),
            event_name=event.name,
            sequence=event.sequence,
            attempts=row.attempts,
            status_code=row.last_status_code,
            error=RETRY_PERIOD_OVER,
        )
        delivery_events.announce(store, settings, notice, about=row.endpoint)
    return Counter(row.endpoint for row in expired)


@public
def prune_statement(
    now: datetime, settings: Settings, dialect: str
) -> ReturningDelete[tuple[int, int]]:
    """The DELETE of `prune_batch` on ``dialect``; the id and event of each delivery it
    removed."""
    cutoff = now - settings.delivery.retention
    prunable = _chosen(
        select(_D.id).where(_D.finished_at < cutoff).order_by(_D.finished_at).limit(
            PRUNE_BATCH),
        "prunable",
        dialect,
    )
    return (
        delete(_DELIVERIES)
        .where(prunable)
        .returning(_DELIVERIES.c.id, _DELIVERIES.c.event_sequence)
    )


@public
@dataclass(frozen=True)
class Pruned:
    """What one pruning batch removed."""

    deliveries: int = 0
    events: int = 0


@public
def prune_batch(store: Session, settings: Settings, now: datetime) -> Pruned:
    """Remove up to `PRUNE_BATCH` deliveries that finished before the retention period.

    Their attempts go with them, and so does each event whose last delivery this was
    (every fanned-out event has a delivery, so an event is kept as long as any of its
    deliveries: at least ``retention`` after it was recorded; one not yet fanned out has
    none, and is never removed). A delivery redelivered meanwhile (pending again, not
    finished) is kept.
    """
    removed = store.execute(prune_statement(now, settings, _dialect(store))).all()
    if not removed:
        return Pruned()
    # PostgreSQL's foreign keys remove the attempts already (ON DELETE CASCADE); SQLite
    # enforces foreign keys only when asked to, and Mailman does not ask.
    store.execute(
        delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_([row.id for row in removed]))
    )
    sequences = sorted({row.event_sequence for row in removed})
    orphans = cast(CursorResult[Any], store.execute(
        delete(WebhookEvent).where(
            WebhookEvent.sequence.in_(sequences),
            WebhookEvent.fanned_out.is_(True),
            ~exists().where(_D.event_sequence == WebhookEvent.sequence),
        )
    ))
    return Pruned(len(removed), orphans.rowcount)


def _dialect(store: Session) -> str:
    return store.get_bind().dialect.name


class _Phase(Enum):
    expire = "expire"
    prune = "prune"


@dataclass
class _Totals:
    expired: Counter[str] = field(default_factory=Counter)
    pruned_deliveries: int = 0
    pruned_events: int = 0


@public
class Sweep:
    """The runner's housekeeping: expiry, then pruning, one batch per `step`.

    A sweep starts every `SWEEP_INTERVAL` seconds and goes on until a batch finds less
    than a full one to do. `step` returns at once when no batch is due, so the runner
    calls it on every turn; a batch runs in a transaction of its own and is followed by
    a pause of `MIN_PAUSE` or as long as it took, whichever is longer.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next = 0.0
        self._phase = _Phase.expire
        self._totals = _Totals()
        self.longest = 0.0
        """Seconds the longest batch so far took (for benchmarks and tests)."""
        self.between_sweeps = False
        """Whether the last batch ended a sweep (the next one starts `SWEEP_INTERVAL` later)."""

    def step(self, engine: Engine, settings: Settings) -> bool:
        """Run the sweep's next batch if it is due; return whether one ran."""
        if self._clock() < self._next:
            return False
        started = self._clock()
        self.between_sweeps = False
        try:
            full = self._batch(engine, settings)
        except Exception:
            # Tried again at the next sweep, not on every turn of the runner.
            self._finish()
            raise
        took = self._clock() - started
        self.longest = max(self.longest, took)
        if full:
            self._next = self._clock() + max(MIN_PAUSE, took)
        elif self._phase is _Phase.expire:
            self._phase = _Phase.prune
            self._next = self._clock() + max(MIN_PAUSE, took)
        else:
            self._finish()
        return True

    def _batch(self, engine: Engine, settings: Settings) -> bool:
        """One batch of the current phase, committed; whether it was a full one."""
        with Session(bind=engine) as store:
            if self._phase is _Phase.expire:
                expired = expire_batch(store, settings, utcnow())
                store.commit()
                self._totals.expired.update(expired)
                return sum(expired.values()) >= EXPIRY_BATCH
            pruned = prune_batch(store, settings, utcnow())
            store.commit()
            self._totals.pruned_deliveries += pruned.deliveries
            self._totals.pruned_events += pruned.events
            return pruned.deliveries >= PRUNE_BATCH

    def _finish(self) -> None:
        totals = self._totals
        for endpoint, count in sorted(totals.expired.items()):
            log.warning(
                "webhooks: %d deliveries to %s failed: retry period over", count, endpoint
            )
        if totals.pruned_deliveries:
            log.info(
                "webhooks: removed %d finished deliveries and %d events past the retention "
                "period", totals.pruned_deliveries, totals.pruned_events,
            )
        self._totals = _Totals()
        self._phase = _Phase.expire
        self._next = self._clock() + SWEEP_INTERVAL
        self.between_sweeps = True
