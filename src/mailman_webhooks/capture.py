"""The event subscriber: each Mailman event some endpoint wants becomes an outbox row.

Mailman fires events inside its own operations, before commit, in every process. Each
event is serialized when it fires (what it refers to may change or vanish later) and kept
with Mailman's session until the transaction commits; just before it does
(``before_commit``), the transaction's events are written in one INSERT, inside one
savepoint. So the rows commit with the change that caused them and vanish with it on
rollback (the kept rows are dropped when the transaction ends without a commit), and a
database error undoes the plugin's rows only: Mailman's operation goes on and commits
without them (logged), on SQLite as on PostgreSQL, where the error would otherwise abort
Mailman's whole transaction. Only the event is written here; the delivery runner makes its
deliveries, one per endpoint (`mailman_webhooks.fanout`).

An event fired while Mailman's session has no transaction open (``ConfigurationUpdatedEvent``
from ``config.push``/``pop``), or after its commit has begun, is written in a short
transaction of its own, committed at once: opening one in Mailman's session would leave a
write that nobody commits, and on SQLite every other process's write would wait for its
lock and fail. Nothing is sent from here, and nothing is raised: an exception in a
subscriber or a session hook would break Mailman's own operation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy.event
from mailman.config import config
from mailman.interfaces.runner import RunnerCrashEvent
from public import public
from sqlalchemy import JSON, Column, Connection, MetaData, Table, Text, insert
from sqlalchemy.orm import Session, SessionTransaction

from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import WebhookDelivery, WebhookEvent
from mailman_webhooks.serialization import event_name, serialize_event
from mailman_webhooks.settings import Settings

log = logging.getLogger("mailman.plugins")

WAITING = "mailman_webhooks.capture"
"""Key of the rows waiting for their transaction's commit in ``Session.info``."""

_EVENTS = cast(Table, WebhookEvent.__table__)
# The event table with its JSON columns taking text: capture encodes each payload once,
# to check it, and stores that text (SQLAlchemy's JSON type would encode it again).
_EVENTS_AS_TEXT = Table(
    _EVENTS.name,
    MetaData(),
    *(Column(column.name, Text if isinstance(column.type, JSON) else column.type,
             primary_key=column.primary_key)
      for column in _EVENTS.columns),
)
# Built once: a statement built per call (``.values(...)``) doubled capture's cost.
_INSERT_EVENTS = insert(_EVENTS_AS_TEXT)
_INSERT_EVENT = insert(_EVENTS_AS_TEXT).returning(_EVENTS_AS_TEXT.c.sequence)
_INSERT_DELIVERIES = insert(WebhookDelivery.__table__)
_SAVEPOINT = "mailman_webhooks_capture"


def _encoded(payload: dict[str, Any]) -> str:
    # A value JSON cannot hold fails here, inside capture, which logs and carries on,
    # not in the INSERT at Mailman's commit. Encoded as SQLAlchemy's JSON type does.
    return json.dumps(payload, allow_nan=False)


@public
@dataclass(frozen=True)
class EventRow:
    """One event as the outbox stores it: its columns (payloads as JSON text), and the
    endpoints that want it now."""

    columns: dict[str, Any]
    endpoints: tuple[str, ...]
    created: datetime


@public
def event_row(event: Any, settings: Settings, *, fanned_out: bool = False) -> EventRow | None:
    """The row ``event`` adds, or None when no endpoint wants it (nothing is stored).

    ``secret_payload`` is kept only when an endpoint that wants the event takes secrets
    and they change the payload.
    """
    name = event_name(event)
    endpoints = settings.endpoints_for(name)
    if not endpoints:
        return None
    payload = serialize_event(event, include_secrets=False)
    secret_payload = None
    if any(endpoint.include_secrets for endpoint in endpoints):
        secret_payload = serialize_event(event, include_secrets=True)
        if secret_payload == payload:
            secret_payload = None
    now = utcnow()
    columns = WebhookEvent.new_row(name, now, _encoded(payload), fanned_out=fanned_out)
    columns["secret_payload"] = None if secret_payload is None else _encoded(secret_payload)
    return EventRow(columns, tuple(endpoint.name for endpoint in endpoints), now)


@public
def write_events(rows: Sequence[EventRow], store: Session | Connection) -> None:
    """Insert events to be fanned out, in one statement through ``store``'s transaction.

    A Core INSERT, without flushing Mailman's own objects: the ORM's unit of work made
    capture 5x slower (benchmarks/webhooks.py).
    """
    if rows:
        store.execute(_INSERT_EVENTS, [row.columns for row in rows])


@public
def write_delivered_event(
    row: EventRow, endpoints: Sequence[str], store: Session | Connection
) -> int:
    """Insert an event with its deliveries to ``endpoints``, fanned out already; its
    ``sequence``. For the runner's own events (`mailman_webhooks.delivery_events`)."""
    columns = dict(row.columns, fanned_out=True)
    sequence: int = store.execute(_INSERT_EVENT, columns).scalar_one()
    store.execute(
        _INSERT_DELIVERIES,
        [WebhookDelivery.new_row(endpoint, row.created, event_sequence=sequence)
         for endpoint in endpoints],
    )
    return sequence


@public
def record_event(event: Any, settings: Settings, store: Session | Connection) -> bool:
    """Write ``event``'s row through ``store`` at once; whether one was written."""
    row = event_row(event, settings)
    if row is not None:
        write_events([row], store)
    return row is not None


@contextmanager
def _savepoint(store: Session) -> Iterator[Connection]:
    """A savepoint in the session's transaction: an error undoes only what was written in it.

    Set on the driver's connection: ``Session.begin_nested`` would flush Mailman's
    pending objects first, and SQLAlchemy's savepoints made capture 40% slower. Python's
    sqlite3 opens a transaction only before a data change, and a SAVEPOINT outside one
    starts a transaction that its RELEASE commits: the rows would then commit even if
    Mailman rolled back. So on SQLite the transaction is opened first, as the next data
    change would have opened it.
    """
    connection = store.connection()
    driver = connection.connection.driver_connection
    if driver is None:  # a connection that was closed (capture logs it)
        raise ConnectionError("Mailman's database connection is closed")
    cursor = driver.cursor()
    try:
        if connection.dialect.name == "sqlite" and not driver.in_transaction:
            cursor.execute("BEGIN")
        cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            yield connection
        except BaseException:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            raise
        finally:
            cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    finally:
        cursor.close()


def _not_recorded(rows: Sequence[EventRow], error: Exception) -> None:
    # The class names only: the error's text could quote the events' content.
    names = ", ".join(sorted({row.columns["name"] for row in rows}))
    log.error("webhooks: event %s not recorded (%s)", names, type(error).__name__)


def _write_alone(rows: Sequence[EventRow]) -> None:
    """Write ``rows`` in a transaction of their own, committed at once; never raises."""
    try:
        with config.db.engine.begin() as connection:
            write_events(rows, connection)
    except Exception as error:
        _not_recorded(rows, error)


@public
def capture(event: Any) -> None:
    """The `zope.event` subscriber the plugin registers in its post_hook."""
    try:
        if getattr(config, "db", None) is None or isinstance(event, RunnerCrashEvent):
            # A crash event is recorded after Mailman's rollback (mailman_webhooks.crashes).
            return
        row = event_row(event, webhooks_settings())
        if row is None:
            return
        store = config.db.store
        if not store.in_transaction():
            _write_alone([row])
        elif store.info.get(_COMMITTING):
            # Fired by another hook of the commit, after this transaction's rows were written.
            store.info.setdefault(LATE, []).append(row)
        else:
            waiting = store.info.setdefault(WAITING, [])
            waiting.append(row)
            if len(waiting) >= WRITE_AT:
                # A transaction firing many events (a mass subscription) keeps few at a time.
                _write_waiting(store, store.info.pop(WAITING))
    except Exception as error:
        log.error("webhooks: event %s not recorded (%s)", type(event).__name__,
                  type(error).__name__)


WRITE_AT = 500
"""The most events kept for a transaction: that many are written at once, in it."""

_COMMITTING = "mailman_webhooks.capture.committing"
"""Set in ``Session.info`` once the transaction's rows are written, until it ends."""

LATE = "mailman_webhooks.capture.late"
"""Key of the rows of events fired during the commit, written once it is done."""


def _write_waiting(session: Session, rows: list[EventRow]) -> None:
    """Write rows in the session's transaction in one INSERT, inside a savepoint; never
    raises. If the INSERT fails, each row is tried in a savepoint of its own, so that only
    a row that breaks it (a constraint, say) is lost."""
    try:
        with _savepoint(session) as connection:
            write_events(rows, connection)
        return
    except Exception as error:
        if len(rows) == 1:
            _not_recorded(rows, error)
            return
    for row in rows:
        try:
            with _savepoint(session) as connection:
                write_events([row], connection)
        except Exception as error:
            _not_recorded([row], error)


def _before_commit(session: Session) -> None:
    """Write the transaction's waiting rows, and note that later ones come too late."""
    if session.in_nested_transaction():
        return
    rows = session.info.pop(WAITING, None)
    session.info[_COMMITTING] = True
    if rows:
        _write_waiting(session, rows)


def _after_commit(session: Session) -> None:
    """Write the rows of events fired during the commit, now that it holds no lock."""
    late = session.info.pop(LATE, None)
    if late:
        _write_alone(late)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Forget what a transaction that ended without its commit kept (a rollback)."""
    if transaction.parent is None:
        for key in (WAITING, LATE, _COMMITTING):
            session.info.pop(key, None)


LISTENERS = (
    ("before_commit", _before_commit),
    ("after_commit", _after_commit),
    ("after_transaction_end", _after_transaction_end),
)


@public
def watch(target: Any) -> None:
    """Write the waiting rows when a session of ``target`` commits; idempotent.

    Must be registered after `mailman_webhooks.model_changes.watch`: its ``before_commit``
    fires the events it derives, which this one's must write.
    """
    for name, listener in LISTENERS:
        if not sqlalchemy.event.contains(target, name, listener):
            sqlalchemy.event.listen(target, name, listener)
