"""Mailman operations and outbox queries shared by the webhooks tests (not a test module)."""

from __future__ import annotations

from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.domain import IDomainManager
from sqlalchemy import select, text
from zope.component import getUtility

from mailman_webhooks import fanout
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import WebhookAttempt, WebhookDelivery, WebhookEvent


def add_domain(mail_host: str) -> None:
    """Create a domain in its own committed transaction (fires two Domain events), and
    make their deliveries as the runner's next turn would."""
    with transaction():
        getUtility(IDomainManager).add(mail_host)
    fan_out()


def _current(query) -> list:
    # The runner writes through its own session: read what is committed now, not
    # what this session's identity map remembers.
    store = config.db.store
    return list(store.execute(query.execution_options(populate_existing=True)).scalars())


def fan_out() -> fanout.FannedOut:
    """Make the deliveries of the committed events, as the runner's next turn would.

    Mailman's session is committed first: on SQLite a write it held would lock the
    fan-out out.
    """
    config.db.commit()
    return fanout.fan_out(config.db.engine, webhooks_settings())


def deliveries() -> list[WebhookDelivery]:
    """Every delivery, once the runner would have made those of the committed events."""
    fan_out()
    return _current(select(WebhookDelivery).order_by(WebhookDelivery.id))


def events() -> list[WebhookEvent]:
    return _current(select(WebhookEvent).order_by(WebhookEvent.sequence))


def attempts() -> list[WebhookAttempt]:
    return _current(select(WebhookAttempt).order_by(WebhookAttempt.id))


def index_definition(name: str) -> str:
    """The CREATE INDEX statement the database keeps for index ``name``."""
    if config.db.engine.dialect.name == "postgresql":
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    else:
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    with config.db.engine.connect() as connection:
        return str(connection.execute(text(query), {"name": name}).scalar_one())
