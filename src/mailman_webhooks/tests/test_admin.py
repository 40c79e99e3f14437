# Test that the administrator's outbox queries page without loading the table, that
# redeliver reschedules any delivery not held by a runner (keeping its creation time, and
# never undoing a claim made meanwhile), that health comes from the endpoint's counters and
# resuming ends a disable and a pause, and that ping ignores `events`.

from __future__ import annotations

from datetime import timedelta

import pytest
from mailman.config import config
from sqlalchemy import event
from sqlalchemy.orm import Session

from mailman_webhooks import admin, outbox
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import DeliveryStatus, WebhookEndpointState
from mailman_webhooks.tests.conftest import endpoint_cfg
from mailman_webhooks.tests.helpers import add_domain, deliveries

pytestmark = pytest.mark.mailman

URL = "http://127.0.0.1:9/unused"


@pytest.fixture
def six(configure) -> None:
    """Six deliveries to endpoint ``all``: two Domain events for each of three domains."""
    configure(endpoint_cfg("all", URL, events="Domain.*"))
    for number in range(3):
        add_domain(f"q{number}.example.org")


def test_query_is_a_newest_first_sequence(six):
    query = admin.DeliveryQuery(config.db.store, event_name="DomainCreatedEvent")
    expected = sorted((d.id for d in deliveries() if d.event.name == "DomainCreatedEvent"),
                      reverse=True)
    assert len(query) == 3
    assert [d.id for d in query] == expected
    assert [d.id for d in query[1:3]] == expected[1:3]
    assert query[-1].id == expected[-1]
    assert query[5:9] == []
    with pytest.raises(IndexError):
        query[3]


def test_query_filters_combine(six):
    store = config.db.store
    first = deliveries()[0]
    first.status = DeliveryStatus.failed
    store.flush()
    failed = admin.DeliveryQuery(store, endpoint="all", status=DeliveryStatus.failed)
    assert [d.id for d in failed] == [first.id]
    assert len(admin.DeliveryQuery(store, endpoint="nobody")) == 0


def test_redeliver_makes_a_finished_delivery_due_now_and_keeps_its_creation(six):
    store = config.db.store
    delivery = deliveries()[0]
    created, event_created = delivery.created, delivery.event.created
    delivery.status = DeliveryStatus.failed
    delivery.finished_at = delivery.created
    delivery.next_attempt_at = None
    store.flush()
    now = utcnow() + timedelta(days=5)
    admin.redeliver(store, delivery.id, now)
    (delivery,) = [d for d in deliveries() if d.id == delivery.id]
    assert delivery.status is DeliveryStatus.pending
    assert (delivery.next_attempt_at, delivery.retry_from, delivery.finished_at) == (
        now, now, None)
    assert (delivery.created, delivery.event.created) == (created, event_created)


def test_redeliver_refuses_a_delivery_under_lease_and_takes_an_expired_one(six):
    store = config.db.store
    delivery = deliveries()[0]
    now = utcnow()
    delivery.claimed_by = "runner-token"
    delivery.claimed_until = now + timedelta(seconds=30)
    store.flush()
    with pytest.raises(admin.DeliveryBusy):
        admin.redeliver(store, delivery.id, now)
    (held,) = [d for d in deliveries() if d.id == delivery.id]
    assert held.claimed_by == "runner-token"
    admin.redeliver(store, delivery.id, now + timedelta(seconds=31))
    (freed,) = [d for d in deliveries() if d.id == delivery.id]
    assert (freed.claimed_by, freed.claimed_until) == (None, None)


def test_redeliver_cannot_undo_a_claim_made_after_the_delivery_was_read(six):
    # What REST does: read the delivery, then redeliver it. A runner claims it in between,
    # in its own transaction; the redeliver must see that claim, not the row it read.
    store = config.db.store
    delivery = admin.get_delivery(store, deliveries()[0].id)
    assert delivery is not None and delivery.claimed_by is None
    with Session(bind=config.db.engine, expire_on_commit=False) as runner_store:
        claimed = outbox.claim(runner_store, "all", webhooks_settings(), utcnow())
    assert delivery.id in {each.id for each in claimed}
    with pytest.raises(admin.DeliveryBusy):
        admin.redeliver(store, delivery.id, utcnow())
    config.db.commit()
    (held,) = [d for d in deliveries() if d.id == delivery.id]
    assert held.claimed_by == claimed[0].claimed_by


def test_ping_reaches_only_its_endpoint_whatever_its_events(configure):
    configure(endpoint_cfg("quiet", URL, events="(?!)") + endpoint_cfg("loud", URL))
    endpoint = webhooks_settings().endpoints["quiet"]
    admin.ping(config.db.store, endpoint, utcnow())
    config.db.commit()
    (delivery,) = deliveries()
    assert delivery.endpoint == "quiet"
    assert delivery.event.name == admin.PING_EVENT
    assert delivery.event.body(include_secrets=False)["event"] == {"endpoint": "quiet"}


def test_health_of_an_endpoint_without_history(mailman):
    health = admin.endpoint_health(config.db.store, ["never"], utcnow())["never"]
    assert health == admin.EndpointHealth(
        disabled=False, disabled_reason=None, disabled_at=None, paused_until=None,
        paused_reason=None, last_success=None, last_failure=None, consecutive_failures=0,
        pending=0,
    )


def test_health_shows_a_pause_only_until_it_ends(mailman):
    store = config.db.store
    now = utcnow()
    state = WebhookEndpointState("slow")
    state.note_attempt(now - timedelta(minutes=2), None)
    state.note_attempt(now - timedelta(minutes=1), "HTTP 503 Service Unavailable")
    state.note_attempt(now, "timeout after 2s (ReadTimeout)")
    state.failures, state.retry_at = 2, now + timedelta(minutes=5)
    store.add(state)
    store.flush()
    health = admin.endpoint_health(store, ["slow"], now)["slow"]
    assert (health.paused_until, health.paused_reason) == (
        now + timedelta(minutes=5), "timeout after 2s (ReadTimeout)")
    assert (health.last_success, health.last_failure) == (now - timedelta(minutes=2), now)
    assert health.consecutive_failures == 2
    later = admin.endpoint_health(store, ["slow"], now + timedelta(minutes=6))["slow"]
    assert (later.paused_until, later.paused_reason) == (None, None)
    assert later.consecutive_failures == 2


def test_resume_ends_a_disable_and_a_pause_and_keeps_the_counters(configure):
    configure(endpoint_cfg("gone", URL))
    store = config.db.store
    now = utcnow()
    outbox.disable_endpoint(store, "gone", "HTTP 410 Gone", now)
    state = store.get(WebhookEndpointState, "gone")
    state.note_attempt(now, "HTTP 410 Gone")
    state.failures, state.retry_at = 3, now + timedelta(hours=1)
    store.flush()
    admin.resume_endpoint(store, "gone")
    admin.resume_endpoint(store, "never-seen")  # nothing to end: nothing happens
    health = admin.endpoint_health(store, ["gone"], now)["gone"]
    assert (health.disabled, health.disabled_reason, health.paused_until) == (False, None, None)
    assert (state.failures, state.retry_at) == (0, None)
    assert (health.consecutive_failures, health.last_failure) == (1, now)
    assert "gone" in outbox.claimable_endpoints(
        outbox.endpoint_states(store), webhooks_settings(), now)


@pytest.fixture
def statements(mailman):
    """The SQL statements Mailman's session sends while the test runs."""
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = config.db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_health_never_reads_the_attempts_table(six, statements):
    admin.endpoint_health(config.db.store, ["all", "other"], utcnow())
    assert statements and not any("webhook_attempt" in each for each in statements)


def test_a_page_of_deliveries_is_a_count_and_a_limited_query(six, statements):
    page = admin.DeliveryQuery(config.db.store, endpoint="all")[0:4]
    assert len(page) == 4
    counts = [each for each in statements if "count(" in each.lower()]
    rows = [each for each in statements if "count(" not in each.lower()]
    assert len(counts) == 1 and "webhook_event" not in counts[0]
    assert len(rows) == 1 and "LIMIT" in rows[0]
