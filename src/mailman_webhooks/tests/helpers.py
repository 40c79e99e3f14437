"""Mailman operations and outbox queries shared by the webhooks tests (not a test module)."""

from __future__ import annotations

from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.domain import IDomainManager
from sqlalchemy import select
from zope.component import getUtility

from mailman_webhooks.model import WebhookAttempt, WebhookDelivery, WebhookEvent


def add_domain(mail_host: str) -> None:
    """Create a domain in its own committed transaction (fires two Domain events)."""
    with transaction():
        getUtility(IDomainManager).add(mail_host)


def deliveries() -> list[WebhookDelivery]:
    store = config.db.store
    return list(store.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())


def events() -> list[WebhookEvent]:
    store = config.db.store
    return list(store.execute(select(WebhookEvent).order_by(WebhookEvent.sequence)).scalars())


def attempts() -> list[WebhookAttempt]:
    store = config.db.store
    return list(store.execute(select(WebhookAttempt).order_by(WebhookAttempt.id)).scalars())
