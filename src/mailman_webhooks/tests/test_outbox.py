# Test that claiming takes due deliveries in bounded batches that never overlap, with
# FOR UPDATE SKIP LOCKED on PostgreSQL, and that released deliveries become claimable again.

from __future__ import annotations

from datetime import timedelta

import pytest
from mailman.config import config
from sqlalchemy.dialects import postgresql, sqlite

from mailman_webhooks import outbox
from mailman_webhooks.clock import utcnow
from mailman_webhooks.plugin import active_plugin
from mailman_webhooks.settings import WebhooksConfiguration
from mailman_webhooks.tests.conftest import FAST_DELIVERY, endpoint_cfg
from mailman_webhooks.tests.helpers import add_domain

URL = "http://127.0.0.1:9/unused"


def compiled(dialect) -> str:
    configuration = WebhooksConfiguration()
    configuration.push("t", FAST_DELIVERY + endpoint_cfg("a", URL))
    statement = outbox.claim_statement({"a"}, "token", utcnow(), configuration.settings)
    return str(statement.compile(dialect=dialect))


def test_postgresql_claim_skips_locked_rows():
    sql = compiled(postgresql.dialect())
    assert "FOR UPDATE SKIP LOCKED" in sql
    assert "LIMIT" in sql
    assert sql.startswith("UPDATE webhook_delivery SET claimed_by=")


def test_sqlite_claim_is_one_update_without_row_locks():
    sql = compiled(sqlite.dialect())
    assert "FOR UPDATE" not in sql
    assert sql.startswith("UPDATE webhook_delivery SET claimed_by=")


@pytest.mark.mailman
def test_consecutive_claims_are_disjoint_and_bounded(configure):
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="Domain.*"))
    for number in range(8):
        add_domain(f"c{number}.example.org")  # 16 deliveries, batch_size 10
    settings = active_plugin().configuration.settings
    store = config.db.store
    first = [d.id for d in outbox.claim(store, settings, utcnow())]
    second = [d.id for d in outbox.claim(store, settings, utcnow())]
    third = outbox.claim(store, settings, utcnow())
    assert (len(first), len(second), third) == (10, 6, [])
    assert not set(first) & set(second)


@pytest.mark.mailman
def test_released_delivery_waits_until_not_before(configure):
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="DomainCreatedEvent"))
    add_domain("r.example.org")
    settings = active_plugin().configuration.settings
    store = config.db.store
    (delivery,) = outbox.claim(store, settings, utcnow())
    later = utcnow() + timedelta(minutes=5)
    outbox.release(store, [delivery], later)
    store.commit()
    assert outbox.claim(store, settings, utcnow()) == []
    (again,) = outbox.claim(store, settings, later + timedelta(seconds=1))
    assert again.id == delivery.id
    assert again.attempts == 0
