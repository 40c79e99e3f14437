# Test that pending deliveries past their retry period are failed whatever their endpoint's
# state, and finished ones past the retention period removed with their attempts and events,
# each a bounded batch read through an index; that the runner's sweep goes batch by batch with
# pauses between; and that an outbox of schema version 3 gets the sweep's indexes.

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from datetime import timedelta

import pytest
from mailman.config import config
from mailman.interfaces.runner import RunnerInterrupt
from sqlalchemy import insert, inspect, text, update

from mailman_webhooks import database, delivery_events, outbox, retention
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.errors import ConfigurationError
from mailman_webhooks.model import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
)
from mailman_webhooks.model.delivery import EXPIRY_INDEX, FINISHED_INDEX
from mailman_webhooks.retention import Pruned, Sweep
from mailman_webhooks.settings import WebhooksConfiguration
from mailman_webhooks.tests.conftest import FAST_DELIVERY, endpoint_cfg, run_until
from mailman_webhooks.tests.helpers import add_domain, attempts, deliveries, events
from mailman_webhooks.tests.plans import add_pending, plan

URL = "http://127.0.0.1:9/unused"
DAY = timedelta(days=1)


def test_retention_defaults_to_30_days_and_is_a_duration():
    configuration = WebhooksConfiguration()
    assert configuration.settings.delivery.retention == timedelta(days=30)
    configuration.push("short", "[delivery]\nretention: 2h\n")
    assert configuration.settings.delivery.retention == timedelta(hours=2)
    for bad in ("forever", "0s"):
        with pytest.raises(ConfigurationError, match=r"\[delivery\]: retention"):
            configuration.push("bad", f"[delivery]\nretention: {bad}\n")


def finish(ids: list[int], status: DeliveryStatus, at) -> None:
    """Mark deliveries finished at ``at``, as the runner or the expiry would."""
    with config.db.engine.begin() as connection:
        connection.execute(
            update(WebhookDelivery.__table__)
            .where(WebhookDelivery.__table__.c.id.in_(ids))
            .values(status=status, finished_at=at, next_attempt_at=None)
        )


def add_attempts(ids: list[int], at) -> None:
    with config.db.engine.begin() as connection:
        connection.execute(
            insert(WebhookAttempt.__table__),
            [dict(delivery_id=i, at=at, status_code=500, duration=0.1, error="HTTP 500")
             for i in ids],
        )


@pytest.mark.mailman
def test_expiry_fails_old_pending_deliveries_of_every_endpoint_but_leaves_claimed_ones(
    configure
):
    configure(
        FAST_DELIVERY
        + endpoint_cfg("paused", URL, events="DomainCreatedEvent")
        + endpoint_cfg("gone", URL, events="DomainCreatedEvent")
        + endpoint_cfg("held", URL, events="DomainCreatedEvent")
        + endpoint_cfg("removed", URL, events="DomainCreatedEvent")
    )
    add_domain("old.example.org")
    store = config.db.store
    settings = webhooks_settings()
    outbox.disable_endpoint(store, "gone", "HTTP 410 Gone", utcnow())
    store.commit()
    later = utcnow() + settings.delivery.retry_period + timedelta(seconds=1)
    # A runner holds "held" past the end of the retry period.
    lease = timedelta(hours=2) + settings.delivery.retry_period
    held = outbox.claim(store, "held", settings, utcnow())
    store.execute(update(WebhookDelivery).where(WebhookDelivery.id == held[0].id)
                  .values(claimed_until=utcnow() + lease))
    store.commit()
    # The configuration from now on, without "removed".
    current = WebhooksConfiguration()
    current.push("t", FAST_DELIVERY + "".join(
        endpoint_cfg(name, URL, events="DomainCreatedEvent")
        for name in ("paused", "gone", "held")
    ))
    settings = current.settings
    assert retention.expire_batch(store, settings, utcnow()) == {}
    expired = retention.expire_batch(store, settings, later)
    store.commit()
    assert expired == {"paused": 1, "gone": 1, "removed": 1}
    by_endpoint = {d.endpoint: d for d in deliveries()}
    for name in ("paused", "gone", "removed"):
        assert by_endpoint[name].status is DeliveryStatus.failed
        assert by_endpoint[name].last_error == "retry period over"
        assert by_endpoint[name].finished_at == later
    assert by_endpoint["held"].status is DeliveryStatus.pending


@pytest.mark.mailman
def test_expiry_takes_one_bounded_batch_oldest_first(configure, monkeypatch):
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="DomainCreatedEvent"))
    for number in range(5):
        add_domain(f"e{number}.example.org")
    monkeypatch.setattr(retention, "EXPIRY_BATCH", 2)
    store = config.db.store
    settings = webhooks_settings()
    later = utcnow() + settings.delivery.retry_period + DAY
    first = retention.expire_batch(store, settings, later)
    store.commit()
    failed = [d.id for d in deliveries() if d.status is DeliveryStatus.failed]
    assert first == {"a": 2}
    assert failed == [d.id for d in deliveries()][:2]
    assert retention.expire_batch(store, settings, later) == {"a": 2}
    assert retention.expire_batch(store, settings, later) == {"a": 1}
    assert retention.expire_batch(store, settings, later) == {}


@pytest.mark.mailman
def test_pruning_removes_old_finished_deliveries_their_attempts_and_orphaned_events(configure):
    configure(
        FAST_DELIVERY
        + endpoint_cfg("a", URL, events="Domain.*")
        + endpoint_cfg("b", URL, events="DomainCreatedEvent")
    )
    add_domain("prune.example.org")  # DomainCreatingEvent to a; DomainCreatedEvent to a, b
    settings = webhooks_settings()
    now = utcnow()
    old = now - settings.delivery.retention - timedelta(seconds=1)
    rows = {(d.endpoint, d.event.name): d.id for d in deliveries()}
    creating, created_a, created_b = (
        rows["a", "DomainCreatingEvent"], rows["a", "DomainCreatedEvent"],
        rows["b", "DomainCreatedEvent"])
    finish([creating, created_a], DeliveryStatus.delivered, old)
    finish([created_b], DeliveryStatus.failed, now - DAY)
    add_attempts([creating, created_a, created_b], old)
    store = config.db.store
    pruned = retention.prune_batch(store, settings, now)
    store.commit()
    # DomainCreatedEvent stays: b's delivery of it, finished a day ago, still needs it.
    assert pruned == Pruned(deliveries=2, events=1)
    assert [d.id for d in deliveries()] == [created_b]
    assert [a.delivery_id for a in attempts()] == [created_b]
    assert [e.name for e in events()] == ["DomainCreatedEvent"]
    assert retention.prune_batch(store, settings, now) == Pruned()
    pruned = retention.prune_batch(store, settings, now + settings.delivery.retention)
    store.commit()
    assert pruned == Pruned(deliveries=1, events=1)
    assert (deliveries(), attempts(), events()) == ([], [], [])


@pytest.mark.mailman
def test_pruning_keeps_pending_deliveries_however_old(configure):
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="DomainCreatedEvent"))
    add_domain("pending.example.org")
    settings = webhooks_settings()
    much_later = utcnow() + 10 * settings.delivery.retention
    assert retention.prune_batch(config.db.store, settings, much_later) == Pruned()
    assert [d.status for d in deliveries()] == [DeliveryStatus.pending]
    assert len(events()) == 1


@pytest.mark.mailman
@pytest.mark.parametrize(
    "statement, index",
    [(retention.expiry_statement, EXPIRY_INDEX), (retention.prune_statement, FINISHED_INDEX)],
    ids=["expiry", "pruning"],
)
def test_a_batch_reads_its_index_once_then_rows_by_primary_key(configure, statement, index):
    # Choosing the rows is one range of the index; the statement around the choice once
    # repeated its conditions, and SQLite read them through the index again, every
    # pending row of the outbox, for each batch (150 ms a batch with a million).
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="DomainCreatedEvent"))
    add_pending("removed", 2000)
    dialect = config.db.engine.dialect.name
    steps = plan(statement(utcnow(), webhooks_settings(), dialect))
    indexes = re.findall(r"\b(ix_webhook_\w+|webhook_delivery_pkey|INTEGER PRIMARY KEY)", steps)
    assert indexes.count(index) == 1, steps
    assert set(indexes) <= {index, "webhook_delivery_pkey", "INTEGER PRIMARY KEY"}, steps
    assert "SCAN webhook_delivery" not in steps and "Seq Scan" not in steps, steps


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.mailman
def test_a_sweep_goes_batch_by_batch_with_pauses_then_waits_for_the_next(
    configure, monkeypatch, caplog
):
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="Domain.*"))
    for number in range(3):
        add_domain(f"s{number}.example.org")  # 6 deliveries
    monkeypatch.setattr(retention, "EXPIRY_BATCH", 4)
    monkeypatch.setattr(retention, "PRUNE_BATCH", 4)
    settings = webhooks_settings()
    # Deliveries past both periods: the sweep's clock for rows is the real one.
    short = WebhooksConfiguration()
    short.push("t", FAST_DELIVERY.replace("retry_period: 1h", "retry_period: 0.001s")
               + "retention: 0.001s\n" + endpoint_cfg("a", URL, events="Domain.*"))
    clock = FakeClock()
    sweep = Sweep(clock)
    engine = config.db.engine
    caplog.set_level(logging.INFO, "mailman.plugins")
    steps = []
    for _ in range(12):
        steps.append(sweep.step(engine, short.settings))
        clock.now += retention.MIN_PAUSE
        time.sleep(0.005)  # so that rows finished now are past the 1 ms retention
    # expire 4, expire 2 (not full: pruning next), prune 4, prune 2 (done): then nothing
    # until SWEEP_INTERVAL has passed.
    assert steps == [True] * 4 + [False] * 8
    assert (deliveries(), events()) == ([], [])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["webhooks: 6 deliveries to a failed: retry period over"]
    assert "removed 6 finished deliveries and 6 events" in caplog.text
    clock.now += retention.SWEEP_INTERVAL
    assert sweep.step(engine, settings)


@pytest.mark.mailman
def test_a_full_batch_is_followed_by_a_pause_as_long_as_it_took(mailman, monkeypatch):
    clock = FakeClock()

    def slow_full_batch(store, settings, now):
        clock.now += 3.0
        return Counter(a=retention.EXPIRY_BATCH)

    monkeypatch.setattr(retention, "expire_batch", slow_full_batch)
    sweep = Sweep(clock)
    assert sweep.step(config.db.engine, webhooks_settings())
    assert sweep.longest == 3.0
    clock.now += 2.9
    assert not sweep.step(config.db.engine, webhooks_settings())
    clock.now += 0.2
    assert sweep.step(config.db.engine, webhooks_settings())


@pytest.mark.mailman
def test_a_failing_sweep_is_logged_by_the_runner_and_tried_at_the_next_sweep(
    configure, runner, monkeypatch, caplog
):
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="(?!)"))
    calls = []

    def broken(*args):
        calls.append(args)
        raise RuntimeError("database gone")

    monkeypatch.setattr(retention, "expire_batch", broken)
    runner.process_batch()
    runner.process_batch()
    assert "webhooks: outbox housekeeping failed (RuntimeError)" in caplog.text
    assert len(calls) == 1


@pytest.mark.mailman
def test_the_runner_removes_what_is_past_the_retention_period(configure, receiver, runner):
    configure(FAST_DELIVERY + "retention: 0.5s\n"
              + endpoint_cfg("a", receiver.url, events="DomainCreatedEvent"))
    add_domain("kept-briefly.example.org")
    run_until(runner, lambda: [d.status for d in deliveries()] == [DeliveryStatus.delivered])
    assert len(attempts()) == len(events()) == 1
    time.sleep(0.6)
    runner.sweep = Sweep()  # the next sweep now, not in a minute
    run_until(runner, lambda: not events(), timeout=5)
    assert (deliveries(), attempts()) == ([], [])
    assert len(receiver.requests) == 1


@pytest.mark.mailman
def test_version_3_gets_the_sweeps_indexes_and_loses_the_old_due_index(mailman):
    with config.db.engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {EXPIRY_INDEX}"))
        connection.execute(text(f"DROP INDEX {FINISHED_INDEX}"))
        connection.execute(text(
            "CREATE INDEX ix_webhook_delivery_due ON webhook_delivery (status, next_attempt_at)"
        ))
        connection.execute(update(database.schema_table).values(version=3))
    assert database.ensure_schema(config.db.engine) == database.SCHEMA_VERSION
    indexes = {index["name"]: index["column_names"]
               for index in inspect(config.db.engine).get_indexes("webhook_delivery")}
    assert indexes[EXPIRY_INDEX] == ["status", "retry_from"]
    assert indexes[FINISHED_INDEX] == ["finished_at"]
    assert "ix_webhook_delivery_due" not in indexes



@pytest.mark.mailman
def test_an_expiry_batch_and_its_announcements_are_one_transaction(configure, monkeypatch):
    # As a CTE, the UPDATE once committed on its own on SQLite (Python's sqlite3 opens no
    # transaction before a statement starting with WITH), whatever came after it.
    configure(
        FAST_DELIVERY
        + endpoint_cfg("a", URL, events="DomainCreatedEvent")
        + endpoint_cfg("b", URL, events="WebhookDeliveryFailedEvent")
    )
    add_domain("atomic.example.org")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(delivery_events, "announce", broken)
    short = WebhooksConfiguration()
    short.push("t", FAST_DELIVERY.replace("retry_period: 1h", "retry_period: 0.001s")
               + endpoint_cfg("a", URL, events="DomainCreatedEvent")
               + endpoint_cfg("b", URL, events="WebhookDeliveryFailedEvent"))
    time.sleep(0.01)
    with pytest.raises(RuntimeError):
        Sweep().step(config.db.engine, short.settings)
    assert [d.status for d in deliveries()] == [DeliveryStatus.pending]


@pytest.mark.mailman
def test_a_stop_signal_during_the_sweep_stops_the_runner(configure, runner, monkeypatch):
    # Mailman's signal handlers raise RunnerInterrupt wherever the runner is; the sweep's
    # error handling once took it for a failure, logged it, and went on.
    configure(FAST_DELIVERY + endpoint_cfg("a", URL, events="(?!)"))

    def interrupted(*args):
        raise RunnerInterrupt

    monkeypatch.setattr(retention, "expire_batch", interrupted)
    with pytest.raises(RunnerInterrupt):
        runner.process_batch()
