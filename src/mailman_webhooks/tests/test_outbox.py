# Test that claiming takes an endpoint's due deliveries in bounded batches that never overlap,
# with FOR UPDATE SKIP LOCKED on PostgreSQL, whatever other endpoints have waiting; that a
# claimed delivery's body is its event's document; and that runners writing the same
# endpoint's state at once do not fail.

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta

import pytest
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.domain import IDomainManager
from sqlalchemy import inspect, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from zope.component import getUtility

from mailman_webhooks import database, outbox
from mailman_webhooks.capture import EventRow, write_delivered_event
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import WebhookEvent
from mailman_webhooks.model.delivery import ENDPOINT_DUE_INDEX
from mailman_webhooks.settings import WebhooksConfiguration
from mailman_webhooks.tests.conftest import FAST_DELIVERY, endpoint_cfg
from mailman_webhooks.tests.helpers import add_domain, fan_out
from mailman_webhooks.tests.plans import add_pending, plan

URL = "http://127.0.0.1:9/unused"


def compiled(dialect) -> str:
    configuration = WebhooksConfiguration()
    configuration.push("t", FAST_DELIVERY + endpoint_cfg("a", URL))
    statement = outbox.claim_statement(
        "a", "token", utcnow(), configuration.settings, dialect.name)
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
    first = [d.id for d in outbox.claim(store, "a", settings, utcnow())]
    second = [d.id for d in outbox.claim(store, "a", settings, utcnow())]
    third = outbox.claim(store, "a", settings, utcnow())
    assert (len(first), len(second), third) == (10, 6, [])
    assert not set(first) & set(second)


@pytest.mark.mailman
def test_a_claimed_delivery_sends_its_events_document(configure):
    # The body is put together around the stored JSON text: it must say what the
    # event's row says, non-ASCII text and secrets (only when asked for) included.
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="(?!)"))
    created = utcnow()
    row = WebhookEvent.new_row("ExampleEvent", created,
                               json.dumps({"text": "Grüße ✓", "n": [1, None]}), fanned_out=True)
    row["secret_payload"] = json.dumps({"text": "Grüße ✓", "n": [1, None], "token": "s3cret"})
    store = config.db.store
    sequence = write_delivered_event(EventRow(row, ("a",), created), ("a",), store)
    store.commit()
    (claimed,) = outbox.claim(store, "a", webhooks_settings(), utcnow())
    event = store.get(WebhookEvent, sequence)
    assert claimed.event_sequence == sequence
    for secrets in (False, True):
        body = claimed.body(include_secrets=secrets)
        assert json.loads(body.decode("utf-8")) == event.body(include_secrets=secrets)
    assert b"s3cret" not in claimed.body(include_secrets=False)


@pytest.mark.mailman
def test_concurrent_claimers_never_share_a_delivery(configure):
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="Domain.*"))
    with transaction():
        manager = getUtility(IDomainManager)
        for number in range(60):
            manager.add(f"p{number}.example.org")  # 120 deliveries
    fan_out()
    settings = webhooks_settings()
    claimed: list[list[int]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def worker(index: int) -> None:
        session = Session(config.db.engine)
        try:
            start.wait()
            while batch := outbox.claim(session, "a", settings, utcnow()):
                claimed[index].extend(delivery.id for delivery in batch)
                # As long as sending takes, a little: the others claim meanwhile (on
                # SQLite one thread could otherwise take every batch in a row).
                time.sleep(0.01)
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
def test_an_endpoints_claim_takes_only_its_own_rows_in_event_order(configure):
    configure(
        FAST_DELIVERY
        + endpoint_cfg("backlog", URL, events="DomainCreatedEvent")
        + endpoint_cfg("fresh", URL, events="DomainCreatedEvent")
    )
    for number in range(12):
        add_domain(f"b{number}.example.org")
    settings = webhooks_settings()
    store = config.db.store
    # Twelve of "backlog" are due before any of "fresh": its claim still gets ten.
    backlog = outbox.claim(store, "backlog", settings, utcnow())
    fresh = outbox.claim(store, "fresh", settings, utcnow())
    assert (len(backlog), len(fresh)) == (10, 10)
    assert {d.endpoint for d in backlog} == {"backlog"}
    assert {d.endpoint for d in fresh} == {"fresh"}
    sequences = [d.event_sequence for d in fresh]
    assert sequences == sorted(sequences)
    assert outbox.claim(store, "removed", settings, utcnow()) == []


@pytest.mark.mailman
def test_two_runners_pausing_a_new_endpoint_at_once_both_succeed(mailman):
    # Neither sees a state row; the second INSERT once failed on the primary key.
    until = utcnow() + timedelta(minutes=1)
    first = Session(config.db.engine)
    second = Session(config.db.engine)
    try:
        outbox.pause_endpoint(first, "raced", 1, until)
        errors: list[BaseException] = []

        def pause_too() -> None:
            try:
                outbox.pause_endpoint(second, "raced", 2, until)
                second.commit()
            except BaseException as error:  # noqa: BLE001  # reported below
                errors.append(error)

        # The second waits for the first's row lock (PostgreSQL) or write lock (SQLite).
        racer = threading.Thread(target=pause_too)
        racer.start()
        racer.join(0.3)
        first.commit()
        racer.join(10)
        assert errors == []
    finally:
        first.close()
        second.close()
    states = outbox.endpoint_states(config.db.store)
    assert (states["raced"].failures, states["raced"].retry_at) == (2, until)


@pytest.mark.mailman
def test_disabling_keeps_an_existing_state_row_and_shows_it_to_the_session(mailman):
    store = config.db.store
    outbox.pause_endpoint(store, "gone", 3, utcnow())
    store.commit()
    state = outbox.endpoint_states(store)["gone"]
    outbox.disable_endpoint(store, "gone", "HTTP 410 Gone", utcnow())
    assert (state.disabled, state.disabled_reason, state.failures) == (
        True, "HTTP 410 Gone", 3)
    store.commit()
    assert outbox.disabled_endpoints(config.db.store) == {"gone"}


@pytest.mark.mailman
def test_version_2_gets_the_index_claims_read(mailman):
    with config.db.engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {ENDPOINT_DUE_INDEX}"))
        connection.execute(update(database.schema_table).values(version=2))
    assert database.ensure_schema(config.db.engine) == database.SCHEMA_VERSION
    indexes = {index["name"]: index["column_names"]
               for index in inspect(config.db.engine).get_indexes("webhook_delivery")}
    assert indexes[ENDPOINT_DUE_INDEX] == ["endpoint", "status", "next_attempt_at", "id"]


@pytest.mark.mailman
def test_a_claim_reads_its_endpoints_index_and_primary_keys_only(configure):
    # The outer UPDATE once went through the (status, ...) index on SQLite: every pending
    # row of every endpoint, removed ones included, was read on each claim.
    configure(FAST_DELIVERY + endpoint_cfg("a", URL))
    add_pending("a", 1)
    add_pending("removed", 2000)
    dialect = config.db.engine.dialect.name
    statement = outbox.claim_statement("a", "token", utcnow(), webhooks_settings(), dialect)
    steps = plan(statement)
    indexes = set(re.findall(r"\b(ix_webhook_\w+|webhook_delivery_pkey)", steps))
    assert ENDPOINT_DUE_INDEX in indexes, steps
    assert indexes <= {ENDPOINT_DUE_INDEX, "webhook_delivery_pkey"}, steps
    assert "SCAN webhook_delivery" not in steps and "Seq Scan" not in steps, steps
