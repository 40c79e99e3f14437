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


def _current(query) -> list:
    # The runner writes through its own session: read what is committed now, not
    # what this session's identity map remembers.
    store = config.db.store
    return list(store.execute(query.execution_options(populate_existing=True)).scalars())


def deliveries() -> list[WebhookDelivery]:
    return _current(select(WebhookDelivery).order_by(WebhookDelivery.id))


def events() -> list[WebhookEvent]:
    return _current(select(WebhookEvent).order_by(WebhookEvent.sequence))


def attempts() -> list[WebhookAttempt]:
    return _current(select(WebhookAttempt).order_by(WebhookAttempt.id))
