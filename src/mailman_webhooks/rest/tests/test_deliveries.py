# Test that the REST API lists deliveries newest first, filtered and paged, shows one with
# its attempts, redelivers any delivery through the runner, and names every bad request.

from __future__ import annotations

from datetime import timedelta

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.subscriptions import ISubscriptionManager
from mailman.interfaces.usermanager import IUserManager
from zope.component import getUtility

from mailman_webhooks.clock import utcnow
from mailman_webhooks.model import DeliveryStatus, WebhookDelivery, WebhookEvent
from mailman_webhooks.rest.deliveries import DEFAULT_PAGE_SIZE
from mailman_webhooks.rest.tests.helpers import api, api_error, local
from mailman_webhooks.tests.conftest import run_until
from mailman_webhooks.tests.helpers import add_domain, attempts, deliveries

pytestmark = pytest.mark.mailman


@pytest.fixture
def two_endpoints(configure, receiver):
    """alpha gets every Domain event, beta only DomainCreatedEvent; both on the receiver."""
    configure(local("alpha", receiver.url) + f"[endpoint.beta]\nurl: {receiver.url}\n"
              "events: DomainCreatedEvent\n")
    for name in ("one", "two", "three"):
        add_domain(f"{name}.example.org")
    return receiver


def ids(content: dict) -> list[int]:
    return [entry["id"] for entry in content.get("entries", [])]


def test_list_is_newest_first_and_paged(rest_url, two_endpoints):
    every = sorted((d.id for d in deliveries()), reverse=True)
    assert len(every) == 9
    content, _ = api(rest_url, "deliveries")
    assert content["total_size"] == 9
    assert ids(content) == every
    page, _ = api(rest_url, "deliveries?count=4&page=2")
    assert (page["start"], page["total_size"]) == (4, 9)
    assert ids(page) == every[4:8]
    last, _ = api(rest_url, "deliveries?count=4&page=3")
    assert ids(last) == every[8:]
    beyond, _ = api(rest_url, "deliveries?count=4&page=4")
    assert "entries" not in beyond and beyond["total_size"] == 9


def test_filters_by_endpoint_status_and_event(rest_url, two_endpoints, runner):
    receiver = two_endpoints
    receiver.script = lambda number: (200, {}, 0.0) if number % 2 else (400, {}, 0.0)
    run_until(runner, lambda: all(d.status is not DeliveryStatus.pending for d in deliveries()))
    rows = deliveries()

    def expected(**match) -> list[int]:
        chosen = [
            d for d in rows
            if all(
                {"endpoint": d.endpoint, "status": d.status.value, "event": d.event.name}[k] == v
                for k, v in match.items()
            )
        ]
        return sorted((d.id for d in chosen), reverse=True)

    for query in (
        {"endpoint": "beta"},
        {"status": "delivered"},
        {"status": "failed"},
        {"event": "DomainCreatingEvent"},
        {"endpoint": "alpha", "event": "DomainCreatedEvent", "status": "failed"},
    ):
        text = "&".join(f"{k}={v}" for k, v in query.items())
        content, _ = api(rest_url, f"deliveries?{text}")
        assert ids(content) == expected(**query), query
        assert content["total_size"] == len(expected(**query))
    assert expected(endpoint="beta") and expected(status="failed")


def add_deliveries(number: int, endpoint: str = "alpha") -> None:
    """``number`` pending deliveries of one event each, straight into the outbox."""
    store = config.db.store
    now = utcnow()
    for index in range(number):
        event = WebhookEvent("DomainCreatedEvent", now, {"domain": f"d{index}.example.org"})
        store.add(WebhookDelivery(event, endpoint, now))
    config.db.commit()


def test_without_count_and_page_a_list_is_one_page_with_a_link_on(rest_url, mailman):
    add_deliveries(DEFAULT_PAGE_SIZE * 2 + 20)
    every = sorted((d.id for d in deliveries()), reverse=True)
    first, _ = api(rest_url, "deliveries")
    assert (first["start"], first["total_size"]) == (0, len(every))
    assert ids(first) == every[:DEFAULT_PAGE_SIZE]
    assert first["next_page_link"] == rest_url(
        f"3.1/plugins/webhooks/deliveries?count={DEFAULT_PAGE_SIZE}&page=2")
    second, _ = api(rest_url, first["next_page_link"].split("/plugins/webhooks/")[1])
    assert ids(second) == every[DEFAULT_PAGE_SIZE:DEFAULT_PAGE_SIZE * 2]
    last, _ = api(rest_url, second["next_page_link"].split("/plugins/webhooks/")[1])
    assert ids(last) == every[DEFAULT_PAGE_SIZE * 2:]
    assert "next_page_link" not in last


def test_next_page_link_keeps_the_filters(rest_url, mailman):
    add_deliveries(5)
    content, _ = api(rest_url, "deliveries?status=pending&endpoint=alpha&count=2&page=1")
    assert content["next_page_link"].endswith(
        "/deliveries?endpoint=alpha&status=pending&count=2&page=2")
    assert len(ids(content)) == 2


def test_filter_by_a_known_event_nobody_received_is_empty(rest_url, two_endpoints):
    content, _ = api(rest_url, "deliveries?event=ListCreatedEvent")
    assert content["total_size"] == 0
    assert "entries" not in content


@pytest.mark.parametrize(
    ("query", "named"),
    [
        pytest.param("status=sent", ("'sent'", "pending, delivered, failed"), id="status"),
        pytest.param("endpoint=gamma", ("Unknown endpoint: gamma",), id="endpoint"),
        pytest.param("event=List.*", ("'List.*'",), id="event"),
        pytest.param("stauts=failed", ("Unknown query parameters: stauts",), id="typo"),
        pytest.param("count=2", ("count and page go together",), id="count-alone"),
        pytest.param("count=x&page=1", ("count",), id="count-not-a-number"),
        pytest.param("count=-1&page=1", ("Invalid count: '-1'",), id="count-negative"),
        pytest.param("count=2&page=0", ("Invalid page: '0'",), id="page-zero"),
        pytest.param("count=1001&page=1", ("Invalid count: 1001; at most 1000",),
                     id="count-over-the-maximum"),
        pytest.param("count=" + "9" * 30 + "&page=1", ("at most 1000",),
                     id="count-of-30-digits"),
    ],
)
def test_bad_filters_are_refused(rest_url, query, named):
    code, description = api_error(rest_url, f"deliveries?{query}")
    assert code == 400
    for part in named:
        assert part in description


def test_one_delivery_with_its_attempts(rest_url, configure, receiver, runner):
    configure(local("alpha", receiver.url, events="DomainCreatedEvent"))
    receiver.script = lambda number: (503, {}, 0.0) if number == 1 else (200, {}, 0.0)
    add_domain("attempts.example.org")
    run_until(runner, lambda: deliveries()[0].status is DeliveryStatus.delivered)
    (delivery,) = deliveries()
    content, response = api(rest_url, f"deliveries/{delivery.id}")
    assert response.status_code == 200
    assert content["endpoint"] == "alpha"
    assert content["status"] == "delivered"
    assert content["event_id"] == str(delivery.event.id)
    assert content["event_name"] == "DomainCreatedEvent"
    assert content["event_sequence"] == delivery.event.sequence
    assert content["attempt_count"] == 2
    assert content["payload"] == {"domain": "attempts.example.org"}
    assert content["endpoint_link"] == rest_url("3.1/plugins/webhooks/endpoints/alpha")
    recorded = attempts()
    assert [(a["status_code"], a["error"], a["duration"], a["at"]) for a in content["attempts"]] \
        == [(a.status_code, a.error, a.duration, a.at.isoformat() + "Z") for a in recorded]
    assert recorded[0].error.startswith("HTTP 503")
    assert all(a["duration"] >= 0 for a in content["attempts"])


@pytest.mark.parametrize("delivery_id", ["999999", "abc", "0", "-1"])
def test_unknown_delivery(rest_url, delivery_id):
    expected = (404, f"Unknown delivery: {delivery_id}")
    assert api_error(rest_url, f"deliveries/{delivery_id}") == expected
    assert api_error(rest_url, f"deliveries/{delivery_id}/redeliver", method="POST",
                     json={}) == expected


@pytest.mark.parametrize("answer", [200, 400], ids=["delivered", "failed"])
def test_redeliver_sends_again_whatever_the_status(rest_url, configure, receiver, runner,
                                                   answer):
    configure(local("alpha", receiver.url, events="DomainCreatedEvent"))
    receiver.script = lambda number: (answer, {}, 0.0) if number == 1 else (200, {}, 0.0)
    add_domain("again.example.org")
    run_until(runner, lambda: len(receiver.requests) == 1
              and deliveries()[0].status is not DeliveryStatus.pending)
    (delivery,) = deliveries()
    assert delivery.status is (DeliveryStatus.delivered if answer == 200
                               else DeliveryStatus.failed)
    before, _ = api(rest_url, f"deliveries/{delivery.id}")
    content, response = api(rest_url, f"deliveries/{delivery.id}/redeliver", method="POST",
                            json={})
    assert response.status_code == 202
    assert content["status"] == "pending"
    assert content["finished_at"] is None
    assert content["created"] == before["created"]
    assert len(content["attempts"]) == 1
    run_until(runner, lambda: len(receiver.requests) == 2)
    first, second = receiver.requests
    assert first.json["id"] == second.json["id"] == str(delivery.event.id)
    assert first.json["timestamp"] == second.json["timestamp"]
    config.db.abort()
    (delivery,) = deliveries()
    assert delivery.status is DeliveryStatus.delivered
    assert delivery.attempts == 2


def test_redelivered_old_delivery_keeps_its_creation_and_gets_a_whole_retry_period(
    rest_url, configure, receiver, runner
):
    # Failed long ago: redelivered, it is retried after a failure instead of failing at
    # once, and the sweep of the runner does not mark it failed, though `created` is old.
    configure(local("alpha", receiver.url, events="DomainCreatedEvent"))
    receiver.script = lambda number: (200, {}, 0.0) if number == 2 else (500, {}, 0.0)
    add_domain("old-failure.example.org")
    (delivery,) = deliveries()
    old = utcnow() - timedelta(days=30)
    delivery.created = delivery.retry_from = old
    delivery.status = DeliveryStatus.failed
    delivery.next_attempt_at = None
    config.db.commit()
    content, response = api(rest_url, f"deliveries/{delivery.id}/redeliver", method="POST",
                            json={})
    assert response.status_code == 202
    assert content["created"] == old.isoformat() + "Z"
    run_until(runner, lambda: deliveries()[0].status is not DeliveryStatus.pending)
    (delivery,) = deliveries()
    assert delivery.status is DeliveryStatus.delivered
    assert [a.status_code for a in attempts()] == [500, 200]
    assert delivery.created == old


def test_redeliver_waits_while_a_runner_holds_the_delivery(rest_url, configure, receiver):
    configure(local("alpha", receiver.url, events="DomainCreatedEvent"))
    add_domain("busy.example.org")
    (delivery,) = deliveries()
    delivery.claimed_by = "another-runner"
    delivery.claimed_until = utcnow() + timedelta(minutes=5)
    code, description = api_error(rest_url, f"deliveries/{delivery.id}/redeliver",
                                  method="POST", json={})
    assert code == 409
    assert f"Delivery {delivery.id} is being sent right now" in description


def test_redeliver_to_an_endpoint_no_longer_configured(rest_url, configure, receiver):
    configure(local("gone-away", receiver.url, events="DomainCreatedEvent"))
    add_domain("orphan.example.org")
    (delivery,) = deliveries()
    code, description = api_error(rest_url, f"deliveries/{delivery.id}/redeliver",
                                  method="POST", json={})
    assert code == 409
    assert "gone-away is no longer configured" in description
    # Its deliveries can still be listed by that name.
    content, _ = api(rest_url, "deliveries?endpoint=gone-away")
    assert ids(content) == [delivery.id]


def test_confirmation_tokens_are_never_returned(rest_url, configure, receiver):
    needed = "SubscriptionConfirmationNeededEvent"
    configure(local("alpha", receiver.url, events=needed) + "include_secrets: yes\n")
    with transaction():
        mlist = create_list("tok@example.com")
        mlist.subscription_policy = mlist.subscription_policy.confirm
    with transaction():
        address = getUtility(IUserManager).create_address("cat@example.com")
        token, _, _ = ISubscriptionManager(mlist).register(address)
    (delivery,) = deliveries()
    assert token in repr(delivery.event.secret_payload)
    _, listed = api(rest_url, "deliveries")
    _, one = api(rest_url, f"deliveries/{delivery.id}")
    assert token not in listed.text
    assert token not in one.text
    assert one.json()["event_name"] == needed
