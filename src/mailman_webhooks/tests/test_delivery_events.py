# Test that an endpoint disabled by 410 Gone and a delivery that failed for good (a final
# answer, the retry period over on the last try or in the sweep) are logged at warning level
# and announced to the other endpoints, through the real runner and loopback receivers; never
# to the endpoint concerned, never about a failed announcement, and only by the runner whose
# record took.

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from mailman.config import config
from sqlalchemy import update

from mailman_webhooks import outbox, retention
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import DeliveryStatus, WebhookDelivery
from mailman_webhooks.outbox import Attempted
from mailman_webhooks.retry import Decision, Outcome, Verdict
from mailman_webhooks.tests.conftest import FAST_DELIVERY, endpoint_cfg, run_until
from mailman_webhooks.tests.helpers import add_domain, deliveries, events
from mailman_webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.mailman

NOTICES = "WebhookEndpointDisabledEvent|WebhookDeliveryFailedEvent"


@pytest.fixture
def audit() -> Iterator[Receiver]:
    """A second receiver, for the endpoint that hears about the other's failures."""
    server = Receiver()
    try:
        yield server
    finally:
        server.stop()


def notices_to(endpoint: str) -> list[str]:
    return [d.event.name for d in deliveries()
            if d.endpoint == endpoint and d.event.name.startswith("Webhook")]


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and r.name == "mailman.plugins"]


def test_a_410_disables_the_endpoint_logs_it_and_tells_the_others(
    configure, receiver, audit, runner, caplog
):
    configure(
        FAST_DELIVERY
        + endpoint_cfg("crm", receiver.url, events=f"DomainCreatedEvent|{NOTICES}")
        + endpoint_cfg("audit", audit.url, events=NOTICES)
    )
    receiver.script = lambda number: (410, {}, 0.0)
    add_domain("gone.example.org")
    run_until(runner, lambda: len(audit.requests) == 2)
    sent = {request.json["name"]: request.json["event"] for request in audit.requests}
    assert sent["WebhookEndpointDisabledEvent"] == {"endpoint": "crm", "reason": "HTTP 410 Gone"}
    (failed,) = [d for d in deliveries() if d.endpoint == "crm"]
    assert sent["WebhookDeliveryFailedEvent"] == {
        "endpoint": "crm",
        "delivery": failed.id,
        "event_id": str(failed.event.id),
        "event_name": "DomainCreatedEvent",
        "sequence": failed.event.sequence,
        "attempts": 1,
        "status_code": 410,
        "error": "HTTP 410 Gone",
    }
    # crm wants such events too, but not about itself.
    assert notices_to("crm") == []
    assert len(receiver.requests) == 1
    assert warnings(caplog) == [
        f"webhooks: delivery {failed.id} (DomainCreatedEvent {failed.event.id}) to crm "
        "failed for good after 1 attempts: HTTP 410 Gone",
        "webhooks: endpoint crm disabled: HTTP 410 Gone",
    ]


def test_a_final_answer_is_announced_once_and_retries_are_not(
    configure, receiver, audit, runner, caplog
):
    configure(
        FAST_DELIVERY
        + endpoint_cfg("crm", receiver.url, events="DomainCreatedEvent")
        + endpoint_cfg("audit", audit.url, events=NOTICES)
    )
    # Two answers worth a retry, then a final one.
    receiver.script = lambda number: (503 if number < 3 else 400, {}, 0.0)
    add_domain("refused.example.org")
    run_until(runner, lambda: len(audit.requests) == 1)
    run_until(runner, lambda: all(d.status is not DeliveryStatus.pending for d in deliveries()))
    (request,) = audit.requests
    assert request.json["name"] == "WebhookDeliveryFailedEvent"
    assert (request.json["event"]["attempts"], request.json["event"]["status_code"],
            request.json["event"]["error"]) == (3, 400, "HTTP 400 Bad Request")
    assert [message for message in warnings(caplog) if "failed for good" in message] == [
        f"webhooks: delivery {request.json['event']['delivery']} (DomainCreatedEvent "
        f"{request.json['event']['event_id']}) to crm failed for good after 3 attempts: "
        "HTTP 400 Bad Request"
    ]


def test_the_retry_period_running_out_on_the_last_try_is_announced(
    configure, receiver, audit, runner
):
    configure(
        FAST_DELIVERY.replace("retry_period: 1h", "retry_period: 0.3s")
        + endpoint_cfg("crm", receiver.url, events="DomainCreatedEvent")
        + endpoint_cfg("audit", audit.url, events=NOTICES)
    )
    receiver.script = lambda number: (500, {}, 0.0)
    add_domain("doomed.example.org")
    run_until(runner, lambda: len(audit.requests) == 1)
    notice = audit.requests[0].json["event"]
    assert notice["status_code"] == 500
    assert notice["error"] == "HTTP 500 Internal Server Error; retry period over"
    assert notice["attempts"] == len(receiver.requests) >= 2


def test_failed_announcements_announce_nothing_more(configure, receiver, audit, runner):
    # Each endpoint hears about the other's failures, and refuses everything: without the
    # rule they would announce each other's failed announcements for ever.
    configure(
        FAST_DELIVERY
        + endpoint_cfg("one", receiver.url, events=f"DomainCreatedEvent|{NOTICES}")
        + endpoint_cfg("two", audit.url, events=f"DomainCreatedEvent|{NOTICES}")
    )
    receiver.script = audit.script = lambda number: (400, {}, 0.0)
    add_domain("refused.example.org")
    run_until(runner, lambda: len(deliveries()) == 4
              and all(d.status is DeliveryStatus.failed for d in deliveries()))
    for _ in range(3):
        runner.process_batch()
    assert [e.name for e in events()] == [
        "DomainCreatedEvent", "WebhookDeliveryFailedEvent", "WebhookDeliveryFailedEvent"]
    assert sorted(notices_to("one") + notices_to("two")) == ["WebhookDeliveryFailedEvent"] * 2
    about = {r.json["event"]["endpoint"] for r in receiver.requests + audit.requests
             if r.json["name"] == "WebhookDeliveryFailedEvent"}
    assert about == {"one", "two"}


def test_the_sweep_announces_expired_deliveries_of_enabled_endpoints_only(
    configure, receiver, audit, runner
):
    configure(
        FAST_DELIVERY
        + endpoint_cfg("paused", receiver.url, events="DomainCreatedEvent")
        + endpoint_cfg("gone", receiver.url, events="DomainCreatedEvent")
        + endpoint_cfg("audit", audit.url, events=NOTICES)
    )
    add_domain("late.example.org")
    store = config.db.store
    outbox.disable_endpoint(store, "gone", "HTTP 410 Gone", utcnow())
    store.commit()
    settings = webhooks_settings()
    later = utcnow() + settings.delivery.retry_period + timedelta(seconds=1)
    assert retention.expire_batch(store, settings, later) == {"paused": 1, "gone": 1}
    store.commit()
    (paused,) = [d for d in deliveries() if d.endpoint == "paused"]
    run_until(runner, lambda: len(audit.requests) == 1)
    assert audit.requests[0].json["event"] == {
        "endpoint": "paused",
        "delivery": paused.id,
        "event_id": str(paused.event.id),
        "event_name": "DomainCreatedEvent",
        "sequence": paused.event.sequence,
        "attempts": 0,
        "status_code": None,
        "error": "retry period over",
    }
    assert notices_to("audit") == ["WebhookDeliveryFailedEvent"]
    assert receiver.requests == []


def test_only_the_runner_whose_record_took_announces_a_failure(configure):
    configure(
        FAST_DELIVERY
        + endpoint_cfg("crm", "http://127.0.0.1:9/", events="DomainCreatedEvent")
        + endpoint_cfg("audit", "http://127.0.0.1:9/", events=NOTICES)
    )
    add_domain("taken.example.org")
    store = config.db.store
    settings = webhooks_settings()
    (delivery,) = outbox.claim(store, "crm", settings, utcnow())
    # Its lease ran out, and another runner claimed it meanwhile.
    store.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id)
                  .values(claimed_by="another runner"))
    store.commit()
    now = utcnow()
    final = Attempted(
        delivery_id=delivery.id, endpoint="crm", started=now,
        outcome=Outcome(400, 0.01, "HTTP 400 Bad Request"),
        decision=Decision(Verdict.final, None, "HTTP 400 Bad Request"),
        finished=now, attempt=1, event_id=delivery.event_id,
        event_name="DomainCreatedEvent", sequence=delivery.event_sequence,
    )
    outbox.record(store, "the first runner", [final], settings)
    store.commit()
    assert [e.name for e in events()] == ["DomainCreatedEvent"]
    assert [d.status for d in deliveries()] == [DeliveryStatus.pending]
    outbox.record(store, "another runner", [final], settings)
    store.commit()
    assert [e.name for e in events()] == ["DomainCreatedEvent", "WebhookDeliveryFailedEvent"]
