# Test that a bulk redeliver schedules again exactly an endpoint's failed deliveries of a
# time range, in bounded batches, that the runner then sends them, and that every bad
# request is named.

from __future__ import annotations

from datetime import timedelta

import pytest
from mailman.config import config

from mailman_webhooks import feed
from mailman_webhooks.clock import isoformat, utcnow
from mailman_webhooks.model import DeliveryStatus
from mailman_webhooks.rest.tests.helpers import api, api_error, local
from mailman_webhooks.tests.conftest import run_until
from mailman_webhooks.tests.helpers import add_domain, deliveries

pytestmark = pytest.mark.mailman


@pytest.fixture
def failed(configure, receiver, runner):
    """Six failed deliveries to alpha (a 400 each), then a receiver that accepts."""
    configure(local("alpha", receiver.url))
    for name in ("one", "two", "three"):
        add_domain(f"{name}.example.org")
    receiver.script = lambda number: (400, {}, 0.0)
    run_until(runner, lambda: all(d.status is DeliveryStatus.failed for d in deliveries()))
    receiver.script = lambda number: (200, {}, 0.0)
    return receiver


def _set_created(delivery_ids: list[int], moment) -> None:
    for delivery in deliveries():
        if delivery.id in delivery_ids:
            delivery.created = moment
    config.db.commit()


def test_failed_deliveries_of_the_range_are_sent_again(rest_url, failed, runner):
    rows = deliveries()
    old = utcnow() - timedelta(days=10)
    _set_created([rows[0].id, rows[1].id], old)
    since = isoformat(utcnow() - timedelta(days=1))
    content, _ = api(rest_url, "redeliveries", method="POST",
                     json={"endpoint": "alpha", "since": since})
    assert (content["endpoint"], content["redelivered"], content["more"]) == ("alpha", 4, False)
    assert content["deliveries_link"].endswith(
        "/plugins/webhooks/deliveries?endpoint=alpha&status=pending"
    )
    by_id = {d.id: d for d in deliveries()}
    assert [by_id[d.id].status for d in rows] == [DeliveryStatus.failed] * 2 + [
        DeliveryStatus.pending
    ] * 4
    assert all(by_id[d.id].created == d.created for d in rows[2:])
    run_until(runner, lambda: sum(d.status is DeliveryStatus.delivered
                                  for d in deliveries()) == 4)
    assert [d.attempts for d in deliveries()] == [1, 1, 2, 2, 2, 2]


def test_range_is_since_inclusive_until_exclusive_and_accepts_offsets(rest_url, failed):
    rows = deliveries()
    moment = utcnow().replace(microsecond=0) - timedelta(hours=3)
    _set_created([d.id for d in rows[:3]], moment)
    _set_created([d.id for d in rows[3:]], moment + timedelta(hours=1))
    # The same instant as `moment`, written in another zone.
    since = (moment + timedelta(hours=2)).isoformat() + "+02:00"
    until = isoformat(moment + timedelta(hours=1))
    content, _ = api(rest_url, "redeliveries", method="POST",
                     json={"endpoint": "alpha", "since": since, "until": until})
    assert content["redelivered"] == 3
    statuses = [d.status for d in deliveries()]
    assert statuses == [DeliveryStatus.pending] * 3 + [DeliveryStatus.failed] * 3


def test_delivered_and_other_endpoints_deliveries_stay(rest_url, configure, receiver, runner):
    configure(local("alpha", receiver.url) + local("beta", receiver.url, "DomainCreatedEvent"))
    add_domain("one.example.org")
    receiver.script = lambda number: (400, {}, 0.0) if number == 1 else (200, {}, 0.0)
    run_until(runner, lambda: all(d.status is not DeliveryStatus.pending for d in deliveries()))
    before = {d.id: d.status for d in deliveries()}
    assert sorted(s.value for s in before.values()) == ["delivered", "delivered", "failed"]
    since = isoformat(utcnow() - timedelta(hours=1))
    content, _ = api(rest_url, "redeliveries", method="POST",
                     json={"endpoint": "beta", "since": since})
    failed_beta = [d for d in deliveries() if d.endpoint == "beta"
                   and before[d.id] is DeliveryStatus.failed]
    assert content["redelivered"] == len(failed_beta)
    for delivery in deliveries():
        if delivery not in failed_beta:
            assert delivery.status is before[delivery.id]


def test_a_batch_is_bounded_and_says_more_remain(mailman, failed, monkeypatch):
    monkeypatch.setattr(feed, "MAX_REDELIVERIES", 4)
    store = config.db.store
    since, until, now = utcnow() - timedelta(hours=1), utcnow(), utcnow()
    first = feed.redeliver_failed(store, "alpha", since, until, now)
    second = feed.redeliver_failed(store, "alpha", since, until, now)
    third = feed.redeliver_failed(store, "alpha", since, until, now)
    config.db.commit()
    assert [(r.count, r.more) for r in (first, second, third)] == [(4, True), (2, False),
                                                                     (0, False)]
    assert all(d.status is DeliveryStatus.pending for d in deliveries())


@pytest.mark.parametrize(
    "body, code, description",
    [
        ({"endpoint": "gamma", "since": "2026-01-01T00:00:00Z"}, 404, "Unknown endpoint: gamma"),
        ({"endpoint": "alpha"}, 400, "Missing Parameter: since"),
        ({"endpoint": "alpha", "since": "yesterday"}, 400, None),
        ({"endpoint": "alpha", "since": "2026-01-02T00:00:00Z",
          "until": "2026-01-01T00:00:00Z"}, 400, "since must be before until"),
        ({"endpoint": "alpha", "since": "2026-01-01T00:00:00Z", "colour": "red"}, 400,
         "Unexpected parameters: colour"),
        ({"endpoint": 3, "since": "2026-01-01T00:00:00Z"}, 400, None),
    ],
    ids=["unknown-endpoint", "missing-since", "bad-time", "empty-range", "unexpected",
         "endpoint-not-a-name"],
)
def test_bad_requests_are_named(rest_url, body, code, description):
    status, reason = api_error(rest_url, "redeliveries", method="POST", json=body)
    assert status == code
    if description is not None:
        assert reason == description
    else:
        assert reason.startswith("Invalid Parameter")


def test_removed_endpoint_with_deliveries_is_a_conflict(rest_url, configure, receiver):
    configure(local("gone", receiver.url))
    add_domain("one.example.org")
    status, reason = api_error(rest_url, "redeliveries", method="POST",
                               json={"endpoint": "gone", "since": "2026-01-01T00:00:00Z"})
    assert (status, reason) == (409, "Endpoint gone is no longer configured; its deliveries "
                                     "cannot be sent.")
