# Test that capture writes a transaction's events only, in one INSERT at its commit, and
# that the runner's fan-out makes one delivery per endpoint that wants each event: without
# skipping an event committed after a later one, once per endpoint even if done twice, in
# bounded batches, disjoint between concurrent runners on PostgreSQL, by the settings of
# fan-out time; and that retention never removes an event not yet fanned out.

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy.event
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.domain import DomainCreatedEvent, IDomainManager
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from zope.component import getUtility
from zope.event import notify

from mailman_webhooks import fanout, retention
from mailman_webhooks.capture import EventRow, write_events
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import WebhookDelivery, WebhookEvent
from mailman_webhooks.model.event import FANOUT_INDEX
from mailman_webhooks.tests.conftest import endpoint_cfg
from mailman_webhooks.tests.helpers import deliveries, events, fan_out, index_definition
from mailman_webhooks.tests.plans import plan

pytestmark = pytest.mark.mailman

URL = "http://127.0.0.1:9/unused"


def add_domains(*names: str) -> None:
    """Domains created in one committed transaction, not fanned out (unlike add_domain)."""
    with transaction():
        for name in names:
            getUtility(IDomainManager).add(name)


def stored_deliveries() -> int:
    with config.db.engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(WebhookDelivery)).scalar_one()


def waiting_events() -> list[int]:
    with config.db.engine.connect() as connection:
        return list(connection.execute(
            select(WebhookEvent.sequence).where(~WebhookEvent.fanned_out)
            .order_by(WebhookEvent.sequence)).scalars())


def write_event(name: str, **columns) -> None:
    """An event row as capture writes it, with ``columns`` (say a chosen sequence)."""
    now = utcnow()
    row = dict(WebhookEvent.new_row(name, now, "{}", fanned_out=False),
               secret_payload=None, **columns)
    with config.db.engine.begin() as connection:
        write_events([EventRow(row, (), now)], connection)


def test_capture_writes_events_only_and_fan_out_makes_each_endpoints_deliveries(configure):
    configure(endpoint_cfg("domains", URL, events="Domain.*")
              + endpoint_cfg("created", URL, events=".*CreatedEvent"))
    add_domains("one.example.org")
    assert len(waiting_events()) == 2
    assert stored_deliveries() == 0
    made = fan_out()
    assert (made.events, made.deliveries) == (2, Counter(domains=2, created=1))
    assert waiting_events() == []
    pairs = sorted((d.event.name, d.endpoint) for d in deliveries())
    assert pairs == [("DomainCreatedEvent", "created"), ("DomainCreatedEvent", "domains"),
                     ("DomainCreatingEvent", "domains")]
    for delivery in deliveries():
        # Due at once, its retry period counted from the event, as when capture made it.
        assert delivery.created == delivery.retry_from == delivery.next_attempt_at
        assert delivery.created == delivery.event.created


def test_an_event_committed_after_a_later_one_is_fanned_out_too(configure):
    # Sequences are handed out at INSERT; transactions commit in any order. A cursor
    # ("fanned out up to 1,000,000") would pass over the event committed last.
    configure(endpoint_cfg("all", URL))
    write_event("Later", sequence=1_000_000)
    assert fan_out().events == 1
    write_event("Earlier", sequence=999_999)
    assert fan_out().events == 1
    assert sorted(d.event.name for d in deliveries()) == ["Earlier", "Later"]


def test_fanning_an_event_out_twice_makes_one_delivery_per_endpoint(configure):
    configure(endpoint_cfg("a", URL, events="Domain.*") + endpoint_cfg("b", URL,
                                                                       events="Domain.*"))
    add_domains("twice.example.org")
    fan_out()
    with config.db.engine.begin() as connection:
        connection.execute(update(WebhookEvent).values(fanned_out=False))
    again = fan_out()
    assert (again.events, again.deliveries) == (2, Counter(a=0, b=0))
    assert stored_deliveries() == 4


def test_an_event_no_endpoint_wants_any_more_is_removed_at_fan_out(configure):
    configure(endpoint_cfg("crm", URL, events="Domain.*"))
    add_domains("changed.example.org")
    configure(endpoint_cfg("crm", URL, events="List.*"))
    assert fan_out().deliveries == Counter()
    assert events() == []


def test_fan_out_goes_in_bounded_batches(configure, monkeypatch):
    configure(endpoint_cfg("all", URL, events="DomainCreatedEvent"))
    add_domains(*(f"b{number}.example.org" for number in range(7)))
    monkeypatch.setattr(fanout, "FANOUT_BATCH", 3)
    with Session(bind=config.db.engine) as store:
        assert fanout.fan_out_batch(store, webhooks_settings()).events == 3
        store.commit()
    assert len(waiting_events()) == 4
    assert fan_out().events == 4
    assert stored_deliveries() == 7


def test_concurrent_fan_outs_take_disjoint_events_without_waiting(configure, monkeypatch):
    if config.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: two fan-outs cannot overlap there")
    configure(endpoint_cfg("all", URL, events="DomainCreatedEvent"))
    add_domains(*(f"c{number}.example.org" for number in range(5)))
    monkeypatch.setattr(fanout, "FANOUT_BATCH", 3)
    settings = webhooks_settings()
    with Session(bind=config.db.engine) as first, Session(bind=config.db.engine) as second:
        taken = fanout.fan_out_batch(first, settings)
        # The first runner's transaction is still open and holds its rows.
        second.execute(text("SET LOCAL lock_timeout = '200ms'"))
        other = fanout.fan_out_batch(second, settings)
        first.commit()
        second.commit()
    assert (taken.events, other.events) == (3, 2)
    assert stored_deliveries() == 5


def test_fan_out_finds_its_events_through_the_partial_index(configure):
    configure(endpoint_cfg("all", URL))
    for _ in range(50):
        write_event("E", fanned_out=True)
    write_event("E")
    waiting = select(WebhookEvent.sequence).where(fanout.WAITING).limit(1)
    steps = plan(waiting)
    assert FANOUT_INDEX in steps, steps
    # A scan of the partial index reads only the events still to fan out.
    assert not re.search(r"SCAN webhook_event(?! USING)", steps) and "Seq Scan" not in steps
    assert "NOT fanned_out" in index_definition(FANOUT_INDEX)


def test_retention_never_removes_an_event_not_yet_fanned_out(configure):
    configure(endpoint_cfg("all", URL))
    write_event("Old", created=utcnow() - timedelta(days=400))
    settings = webhooks_settings()
    later = utcnow() + settings.delivery.retention + settings.delivery.retry_period
    with Session(bind=config.db.engine) as store:
        retention.expire_batch(store, settings, later)
        retention.prune_batch(store, settings, later)
        store.commit()
    assert [event.name for event in events()] == ["Old"]


@pytest.fixture
def statements() -> Iterator[list[str]]:
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sqlalchemy.event.listen(config.db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sqlalchemy.event.remove(config.db.engine, "before_cursor_execute", note)


def test_a_transactions_events_are_written_in_one_insert_at_its_commit(configure,
                                                                        statements):
    configure(endpoint_cfg("lists", URL, events="List.*Event"))
    create_list("one@example.com")  # ListCreatingEvent, ListCreatedEvent
    assert not any("webhook_event" in each for each in statements)
    config.db.commit()
    inserts = [each for each in statements if each.startswith("INSERT INTO webhook_event")]
    assert len(inserts) == 1
    assert [event.name for event in events()] == ["ListCreatingEvent", "ListCreatedEvent"]


def test_an_event_fired_during_the_commit_is_written_after_it(configure):
    # Another before_commit hook, registered after the plugin's, fires an event once the
    # transaction's rows are written: it is recorded after the commit, on its own.
    configure(endpoint_cfg("domains", URL, events="DomainCreatedEvent"))
    fired: list[bool] = []

    def late_event(session):
        if not fired:
            fired.append(True)
            notify(DomainCreatedEvent(getUtility(IDomainManager).get("late.example.org")))

    with transaction():
        getUtility(IDomainManager).add("late.example.org")
        sqlalchemy.event.listen(config.db.sessionmaker, "before_commit", late_event)
    try:
        names = [event.name for event in events()]
    finally:
        sqlalchemy.event.remove(config.db.sessionmaker, "before_commit", late_event)
    assert names == ["DomainCreatedEvent", "DomainCreatedEvent"]
    assert all(json.loads(json.dumps(event.payload)) == {"domain": "late.example.org"}
               for event in events())
