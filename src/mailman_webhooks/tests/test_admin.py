# Test that the administrator's outbox queries page without loading the table, that
# redeliver reschedules any delivery not held by a runner, and that ping ignores `events`.

from __future__ import annotations

from datetime import timedelta

import pytest
from mailman.config import config

from mailman_webhooks import admin
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import DeliveryStatus
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


def test_redeliver_makes_a_finished_delivery_due_now(six):
    delivery = deliveries()[0]
    delivery.status = DeliveryStatus.failed
    delivery.finished_at = delivery.created
    delivery.next_attempt_at = None
    now = utcnow() + timedelta(days=5)
    admin.redeliver(delivery, now)
    assert delivery.status is DeliveryStatus.pending
    assert (delivery.next_attempt_at, delivery.created, delivery.finished_at) == (now, now, None)


def test_redeliver_refuses_a_delivery_under_lease_and_takes_an_expired_one(six):
    delivery = deliveries()[0]
    now = utcnow()
    delivery.claimed_by = "runner-token"
    delivery.claimed_until = now + timedelta(seconds=30)
    with pytest.raises(admin.DeliveryBusy):
        admin.redeliver(delivery, now)
    delivery.claimed_until = now - timedelta(seconds=1)
    admin.redeliver(delivery, now)
    assert (delivery.claimed_by, delivery.claimed_until) == (None, None)


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
    health = admin.endpoint_health(config.db.store, ["never"])["never"]
    assert health == admin.EndpointHealth(
        disabled=False, disabled_reason=None, disabled_at=None, last_success=None,
        last_failure=None, consecutive_failures=0, pending=0,
    )
