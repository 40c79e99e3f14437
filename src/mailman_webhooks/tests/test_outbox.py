# Test that claiming takes due deliveries in bounded batches that never overlap, with
# FOR UPDATE SKIP LOCKED on PostgreSQL, and that released deliveries become claimable again.

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.domain import IDomainManager
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from zope.component import getUtility

from mailman_webhooks import outbox
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import DeliveryStatus
from mailman_webhooks.settings import WebhooksConfiguration
from mailman_webhooks.tests.conftest import FAST_DELIVERY, endpoint_cfg
from mailman_webhooks.tests.helpers import add_domain, deliveries

URL = "http://127.0.0.1:9/unused"


def compiled(dialect) -> str:
    configuration = WebhooksConfiguration()
    configuration.push("t", FAST_DELIVERY + endpoint_cfg("a", URL))
    statement = outbox.claim_statement({"a"}, "token", utcnow(), configuration.settings)
    return str(statement.compile(dialect=dialect))


def test_postgresql_claim_skips_locked_rows():
    sql = compiled(postgresql.dialect())
    assert "FOR UPDATE SKIP LOCKED" in sql
    # Materialized once: a rescanned subquery would skip its own locks and overrun LIMIT.
    assert sql.startswith("WITH due AS MATERIALIZED")
    assert "LIMIT" in sql
    assert "UPDATE webhook_delivery SET claimed_by=" in sql


def test_sqlite_claim_is_one_update_without_row_locks():
    sql = compiled(sqlite.dialect())
    assert "FOR UPDATE" not in sql
    assert "UPDATE webhook_delivery SET claimed_by=" in sql


@pytest.mark.mailman
def test_consecutive_claims_are_disjoint_and_bounded(configure):
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="Domain.*"))
    for number in range(8):
        add_domain(f"c{number}.example.org")  # 16 deliveries, batch_size 10
    settings = webhooks_settings()
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
    settings = webhooks_settings()
    store = config.db.store
    (delivery,) = outbox.claim(store, settings, utcnow())
    later = utcnow() + timedelta(minutes=5)
    outbox.release(store, [delivery], later)
    store.commit()
    assert outbox.claim(store, settings, utcnow()) == []
    (again,) = outbox.claim(store, settings, later + timedelta(seconds=1))
    assert again.id == delivery.id
    assert again.attempts == 0


@pytest.mark.mailman
def test_concurrent_claimers_never_share_a_delivery(configure):
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="Domain.*"))
    with transaction():
        manager = getUtility(IDomainManager)
        for number in range(60):
            manager.add(f"p{number}.example.org")  # 120 deliveries
    settings = webhooks_settings()
    claimed: list[list[int]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def worker(index: int) -> None:
        session = Session(config.db.engine)
        try:
            start.wait()
            while batch := outbox.claim(session, settings, utcnow()):
                claimed[index].extend(delivery.id for delivery in batch)
        finally:
            session.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    every = [delivery_id for ids in claimed for delivery_id in ids]
    assert len(every) == len(set(every)) == 120
    assert sum(1 for ids in claimed if ids) >= 2


@pytest.mark.mailman
def test_expire_fails_only_old_deliveries_of_enabled_endpoints(configure):
    configure(
        FAST_DELIVERY
        + endpoint_cfg("paused", URL, events="DomainCreatedEvent")
        + endpoint_cfg("gone", URL, events="DomainCreatedEvent")
    )
    add_domain("old.example.org")
    store = config.db.store
    settings = webhooks_settings()
    with transaction():
        outbox.disable_endpoint(store, "gone", "HTTP 410 Gone", utcnow())
    later = utcnow() + settings.delivery.retry_period + timedelta(seconds=1)
    assert outbox.expire(store, settings, utcnow()) == 0
    assert outbox.expire(store, settings, later) == 1
    store.commit()
    by_endpoint = {d.endpoint: d for d in deliveries()}
    assert by_endpoint["paused"].status is DeliveryStatus.failed
    assert by_endpoint["paused"].last_error == "retry period over"
    assert by_endpoint["gone"].status is DeliveryStatus.pending


@pytest.mark.mailman
def test_disabling_inside_a_batch_uses_its_states_and_flushes_nothing(mailman):
    with Session(config.db.engine) as store:
        states = outbox.endpoint_states(store)
        outbox.disable_endpoint(store, "gone", "HTTP 410 Gone", utcnow(), states)
        state = states["gone"]
        outbox.disable_endpoint(store, "gone", "again", utcnow(), states)
        assert list(store.new) == [state]
        assert (state.disabled, state.disabled_reason) == (True, "again")
        store.commit()
    assert outbox.disabled_endpoints(config.db.store) == {"gone"}
