"""The event subscriber: each matching Mailman event becomes outbox rows.

Mailman fires events inside its own operations, before commit, in every process.
The rows are written in Mailman's transaction, so they commit with the change that
caused the event and vanish with it on rollback. Nothing is sent from here, and nothing is
raised: an exception in a subscriber would break Mailman's own operation.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from mailman.config import config
from public import public
from sqlalchemy import insert
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


def _checked(payload: dict[str, Any]) -> dict[str, Any]:
    # A value JSON cannot hold would fail later, in the flush of Mailman's own
    # transaction; here it fails inside `capture`, which logs and carries on.
    json.dumps(payload, allow_nan=False)
    return payload


@public
def record_event(event: Any, settings: Settings, store: Session) -> int | None:
    """Insert the event and one pending delivery per matching endpoint through ``store``.

    Returns the event's ``sequence``, or None when no endpoint wants it; such events
    are not stored at all. The rows are written at once with two Core INSERTs on the
    session's connection (inside Mailman's transaction, without flushing Mailman's own
    objects): the ORM's unit of work made capture 5x slower (benchmarks/webhooks.py).
    The rows' other columns (identifier, status, attempts, due time) come from the
    models' ``new_row``, as for the ORM.
    """
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
    sequence: int = store.execute(_INSERT_EVENT, row).scalar_one()
    store.execute(
        _INSERT_DELIVERIES,
        [WebhookDelivery.new_row(endpoint.name, now, event_sequence=sequence)
         for endpoint in endpoints],
    )
    return sequence


@public
def capture(event: Any) -> None:
    """The `zope.event` subscriber the plugin registers in its post_hook."""
    try:
        if getattr(config, "db", None) is None:
            return
        record_event(event, webhooks_settings(), config.db.store)
    except Exception as error:
        # Never let the plugin break the operation that fired the event; the class
        # name only, as the text could quote the event's content.
        log.error(
            "webhooks: event %s not recorded (%s)", type(event).__name__, type(error).__name__
        )
