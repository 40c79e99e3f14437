"""Fan-out: the delivery runner makes each captured event's deliveries, before it claims.

Capture writes the event row alone, ``fanned_out`` false, in Mailman's transaction, so
that Mailman pays one row per event whatever the number of endpoints. A runner then takes
a batch of the events not yet fanned out (read through a partial index that holds only
those), adds a pending delivery for each configured endpoint whose ``events`` expression
matches the event's name, and marks the events fanned out, in one short transaction.

The marker is per event, not a cursor ("fanned out up to sequence N"): sequences are
handed out at INSERT and transactions commit in any order, so an event committed after a
later one would slip under a cursor. An event becomes visible to the runner when its
transaction commits, and stays marked until the runner's transaction commits.

Every runner instance fans out, for every endpoint (not only those it sends to), so that
none waits for another: the batch is taken by one UPDATE of the markers, which on
PostgreSQL chooses its rows with ``FOR UPDATE SKIP LOCKED`` (concurrent instances take
disjoint batches without waiting) and is atomic on SQLite (one writer at a time). The
deliveries are inserted with ``ON CONFLICT DO NOTHING`` on (event, endpoint), so an event
fanned out twice still has one delivery per endpoint. The endpoints are those of the
runner's settings at fan-out time (all runners share one configuration); an event that no
endpoint wants any more is removed, as capture would not have stored it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from public import public
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    delete,
    exists,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, ReturningUpdate

from mailman_webhooks.model import WebhookDelivery, WebhookEvent
from mailman_webhooks.settings import Settings

FANOUT_BATCH = 500
"""The most events one fan-out transaction takes (their deliveries: times the endpoints)."""

_EVENTS = cast(Table, WebhookEvent.__table__)
_DELIVERIES = cast(Table, WebhookDelivery.__table__)
WAITING = text("NOT webhook_event.fanned_out")
"""Events not yet fanned out, in the words of their partial index: SQLite reads a partial
index only for a condition that implies the index's own, and SQLAlchemy would write
``NOT fanned_out`` as ``fanned_out = 0`` there, which it does not take for one."""
public(WAITING=WAITING)


@public
def fanout_statement(dialect: str) -> ReturningUpdate[tuple[int, str]]:
    """The UPDATE that takes a batch on ``dialect``: the sequence and name of each event it
    marked."""
    chosen = (
        select(_EVENTS.c.sequence).where(WAITING).order_by(_EVENTS.c.sequence)
        .limit(FANOUT_BATCH)
    )
    if dialect == "postgresql":
        # As in `mailman_webhooks.outbox.claim`: chosen once, locked, re-checked.
        locked = (
            chosen.with_for_update(skip_locked=True)
            .cte("fanning")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        where: tuple[Any, ...] = (_EVENTS.c.sequence.in_(select(locked.c.sequence)), WAITING)
    else:
        where = (_EVENTS.c.sequence.in_(chosen),)
    return (
        update(_EVENTS)
        .where(*where)
        .values(fanned_out=True)
        .returning(_EVENTS.c.sequence, _EVENTS.c.name)
    )


def _deliveries_of(endpoint: str, sequences: list[int], dialect: str) -> Insert:
    """One INSERT ... SELECT of the deliveries of these events to ``endpoint``.

    The columns are those of `WebhookDelivery.new_row`, each event's time copied by the
    database: no row passes through Python, which would cost the runner more than the
    INSERT itself.
    """
    columns = WebhookDelivery.new_row(
        literal(endpoint), _EVENTS.c.created, event_sequence=_EVENTS.c.sequence)
    values = [
        value if isinstance(value, ColumnElement)
        else literal(value, type_=_DELIVERIES.c[name].type)
        for name, value in columns.items()
    ]
    rows = select(*values).where(_EVENTS.c.sequence.in_(sequences))
    insert_into: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement: Insert = (
        insert_into(_DELIVERIES)
        .from_select(list(columns), rows)
        .on_conflict_do_nothing(
            index_elements=[_DELIVERIES.c.event_sequence, _DELIVERIES.c.endpoint])
    )
    return statement


@public
@dataclass(frozen=True)
class FannedOut:
    """What fan-out did: how many events it took, and the deliveries made per endpoint."""

    events: int = 0
    deliveries: Counter[str] = field(default_factory=Counter)


@public
def fan_out_batch(store: Session, settings: Settings) -> FannedOut:
    """Fan out up to `FANOUT_BATCH` events, in ``store``'s transaction (the caller commits).

    Reads before it writes: with nothing waiting (the usual case) no write lock is taken.
    """
    if waiting_since(store) is None:
        return FannedOut()
    dialect = store.get_bind().dialect.name
    taken = sorted(store.execute(fanout_statement(dialect)).tuples().all())
    made: Counter[str] = Counter()
    wanted: dict[str, list[int]] = {}
    unwanted: list[int] = []
    for sequence, name in taken:
        endpoints = settings.endpoints_for(name)
        if not endpoints:
            unwanted.append(sequence)
        for endpoint in endpoints:
            wanted.setdefault(endpoint.name, []).append(sequence)
    for endpoint_name, sequences in wanted.items():
        inserted = store.execute(_deliveries_of(endpoint_name, sequences, dialect))
        # Those it had already (an event fanned out twice) are not made again.
        made[endpoint_name] = cast(CursorResult[Any], inserted).rowcount
    if unwanted:
        store.execute(
            delete(_EVENTS).where(
                _EVENTS.c.sequence.in_(unwanted),
                ~exists().where(_DELIVERIES.c.event_sequence == _EVENTS.c.sequence),
            )
        )
    return FannedOut(len(taken), made)


@public
def fan_out(engine: Engine, settings: Settings, seconds: float | None = None) -> FannedOut:
    """Fan out waiting events, a batch per transaction, until a batch is not full or
    ``seconds`` have passed (None: no limit); what was done in all."""
    deadline = None if seconds is None else time.monotonic() + seconds
    events = 0
    made: Counter[str] = Counter()
    while True:
        with Session(bind=engine) as store:
            batch = fan_out_batch(store, settings)
            store.commit()
        events += batch.events
        made.update(batch.deliveries)
        if batch.events < FANOUT_BATCH or (deadline is not None
                                           and time.monotonic() >= deadline):
            return FannedOut(events, made)


@public
def waiting_since(store: Session) -> int | None:
    """The sequence of the oldest event not yet fanned out, or None."""
    return store.execute(
        select(_EVENTS.c.sequence).where(WAITING).order_by(_EVENTS.c.sequence).limit(1)
    ).scalar()
