"""The event subscriber: each matching Mailman event becomes outbox rows.

Mailman fires events inside its own operations, before commit, in every process.
The rows are written in Mailman's transaction, so they commit with the change that
caused the event and vanish with it on rollback. They are written inside a savepoint:
a database error undoes this event's rows only, and Mailman's operation goes on and
commits without them (logged), on SQLite as on PostgreSQL, where the error would
otherwise abort Mailman's whole transaction. An event fired while Mailman's session
has no transaction open (``ConfigurationUpdatedEvent`` from ``config.push``/``pop``)
is written in a short transaction of its own, committed at once: opening one in
Mailman's session would leave a write that nobody commits, and on SQLite every other
process's write would wait for its lock and fail. Nothing is sent from here, and
nothing is raised: an exception in a subscriber would break Mailman's own operation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailman.config import config
from mailman.interfaces.runner import RunnerCrashEvent
from public import public
from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import WebhookDelivery, WebhookEvent
from mailman_webhooks.serialization import event_name, serialize_event
from mailman_webhooks.settings import Settings

log = logging.getLogger("mailman.plugins")

# Built once: a statement built per call (``.values(...)``) doubled capture's cost.
_INSERT_EVENT = insert(WebhookEvent.__table__).returning(WebhookEvent.__table__.c.sequence)
_INSERT_DELIVERIES = insert(WebhookDelivery.__table__)
_SAVEPOINT = "mailman_webhooks_capture"


def _checked(payload: dict[str, Any]) -> dict[str, Any]:
    # A value JSON cannot hold would fail later, in the flush of Mailman's own
    # transaction; here it fails inside `capture`, which logs and carries on.
    json.dumps(payload, allow_nan=False)
    return payload


@dataclass(frozen=True)
class OutboxRows:
    """What one event adds to the outbox: its row and the endpoints it is due to."""

    event: dict[str, Any]
    endpoints: tuple[str, ...]
    created: datetime


@public
def outbox_rows(event: Any, settings: Settings) -> OutboxRows | None:
    """The rows ``event`` adds, or None when no endpoint wants it (nothing is stored)."""
    name = event_name(event)
    endpoints = settings.endpoints_for(name)
    if not endpoints:
        return None
    payload = _checked(serialize_event(event, include_secrets=False))
    secret_payload = None
    if any(endpoint.include_secrets for endpoint in endpoints):
        secret_payload = _checked(serialize_event(event, include_secrets=True))
        if secret_payload == payload:
            secret_payload = None
    now = utcnow()
    row = WebhookEvent.new_row(name, now, payload)
    if secret_payload is not None:
        row["secret_payload"] = secret_payload
    return OutboxRows(row, tuple(endpoint.name for endpoint in endpoints), now)


@public
def write_rows(rows: OutboxRows, store: Session | Connection) -> int:
    """Insert the event and one pending delivery per endpoint; returns its ``sequence``.

    Two Core INSERTs on the given session's or connection's transaction, without
    flushing Mailman's own objects: the ORM's unit of work made capture 5x slower
    (benchmarks/webhooks.py). The rows' other columns (identifier, status, attempts,
    due time) come from the models' ``new_row``, as for the ORM.
    """
    sequence: int = store.execute(_INSERT_EVENT, rows.event).scalar_one()
    store.execute(
        _INSERT_DELIVERIES,
        [WebhookDelivery.new_row(endpoint, rows.created, event_sequence=sequence)
         for endpoint in rows.endpoints],
    )
    return sequence


@public
def record_event(event: Any, settings: Settings, store: Session | Connection) -> int | None:
    """Write ``event``'s rows through ``store``; its ``sequence``, or None if not stored."""
    rows = outbox_rows(event, settings)
    return None if rows is None else write_rows(rows, store)


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


@public
def capture(event: Any) -> None:
    """The `zope.event` subscriber the plugin registers in its post_hook."""
    try:
        if getattr(config, "db", None) is None or isinstance(event, RunnerCrashEvent):
            # A crash event is recorded after Mailman's rollback (mailman_webhooks.crashes).
            return
        rows = outbox_rows(event, webhooks_settings())
        if rows is None:
            return
        store = config.db.store
        if store.in_transaction():
            with _savepoint(store) as connection:
                write_rows(rows, connection)
        else:
            with config.db.engine.begin() as connection:
                write_rows(rows, connection)
    except Exception as error:
        # Never let the plugin break the operation that fired the event; the class
        # name only, as the text could quote the event's content.
        log.error(
            "webhooks: event %s not recorded (%s)", type(event).__name__, type(error).__name__
        )
