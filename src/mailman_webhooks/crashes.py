"""`RunnerCrashEvent` recorded in a transaction of its own, after Mailman's rollback.

Mailman fires the event in the runner's transaction and then aborts that transaction
(`mailman.core.runner.Runner._one_iteration`), so a row written with it would vanish. The
event is serialized when it fires (its list and message are readable then), kept in the
session's ``info``, and written once the session's transaction has ended, whichever way:
on SQLite a write before the rollback would wait for the runner's own write lock.
A process that dies before its transaction ends loses the event.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy.event
from mailman.config import config
from mailman.interfaces.runner import RunnerCrashEvent
from public import public
from sqlalchemy.orm import Session, SessionTransaction

import mailman_webhooks.capture
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.serialization import Serialized

log = logging.getLogger("mailman.plugins")

WAITING = "mailman_webhooks.crashes"
"""Key of the crash events waiting for their transaction's end in ``Session.info``."""


@public
def capture_crash(event: Any) -> None:
    """The `zope.event` subscriber for `RunnerCrashEvent`, which `capture` leaves alone.

    One that some endpoint wants is serialized now and written when the transaction ends.
    Never raises.
    """
    if not isinstance(event, RunnerCrashEvent) or getattr(config, "db", None) is None:
        return
    try:
        if not webhooks_settings().endpoints_for(type(event).__name__):
            return
        serialized = Serialized(event)
        store = config.db.store
        if store.in_transaction():
            store.info.setdefault(WAITING, []).append(serialized)
        else:
            _write([serialized])
    except Exception as error:
        log.error("webhooks: event RunnerCrashEvent not recorded (%s)", type(error).__name__)


def _write(events: list[Serialized]) -> None:
    with config.db.engine.begin() as connection:
        for event in events:
            mailman_webhooks.capture.record_event(event, webhooks_settings(), connection)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    waiting = session.info.pop(WAITING, None)
    if not waiting:
        return
    try:
        _write(waiting)
    except Exception as error:
        log.error("webhooks: event RunnerCrashEvent not recorded (%s)", type(error).__name__)


@public
def watch(target: Any) -> None:
    """Write waiting crash events when a session of ``target`` ends its transaction."""
    name = "after_transaction_end"
    if not sqlalchemy.event.contains(target, name, _after_transaction_end):
        sqlalchemy.event.listen(target, name, _after_transaction_end)
