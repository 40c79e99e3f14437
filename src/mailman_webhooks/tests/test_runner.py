# Test that the delivery runner POSTs captured Mailman events to a real loopback receiver,
# signed, and retries, gives up or disables endpoints as each HTTP answer demands.

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import threading
import time
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.domain import IDomainManager
from mailman.interfaces.runner import RunnerInterrupt
from sqlalchemy import text
from zope.component import getUtility

from mailman_webhooks import admin, outbox
from mailman_webhooks import runner as runner_module
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import DeliveryStatus
from mailman_webhooks.runner import WebhooksRunner
from mailman_webhooks.tests.conftest import (
    API_KEY,
    FAST_DELIVERY,
    SECRET,
    endpoint_cfg,
    run_until,
)
from mailman_webhooks.tests.helpers import add_domain, attempts, deliveries, events
from mailman_webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.mailman

STOP_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's side of the Standard Webhooks spec, written from its text."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in headers["webhook-signature"].split(" ")
               if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


def statuses() -> list[DeliveryStatus]:
    return [delivery.status for delivery in deliveries()]


def test_event_is_posted_as_documented_json(hooks, runner):
    with transaction():
        create_list("ant@example.com")
    run_until(runner, lambda: len(hooks.requests) == 2)
    first, second = hooks.requests
    assert first.path == "/hooks"
    assert first.query == {"key": [API_KEY]}
    assert first.headers["content-type"] == "application/json"
    body = first.json
    assert set(body) == {"id", "name", "timestamp", "sequence", "event"}
    assert body["name"] == "ListCreatingEvent"
    assert second.json["name"] == "ListCreatedEvent"
    assert second.json["event"]["mailing_list"] == "ant.example.com"
    assert uuid.UUID(body["id"])
    assert body["timestamp"].endswith("Z")
    assert second.json["sequence"] > body["sequence"]
    assert statuses() == [DeliveryStatus.delivered, DeliveryStatus.delivered]


def test_signature_verifies_with_independent_implementation(hooks, runner):
    add_domain("signed.example.org")
    run_until(runner, lambda: len(hooks.requests) == 2)
    for request in hooks.requests:
        assert request.headers["webhook-id"] == request.json["id"]
        assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
        assert verify_standard_webhook(SECRET, request.headers, request.body)
        tampered = request.body.replace(b"signed", b"forged")
        assert not verify_standard_webhook(SECRET, request.headers, tampered)


def test_unsigned_endpoint_gets_no_signature_headers(configure, receiver, runner):
    configure(FAST_DELIVERY + endpoint_cfg("plain", receiver.url, events="Domain.*"))
    add_domain("plain.example.org")
    run_until(runner, lambda: len(receiver.requests) == 2)
    assert "webhook-signature" not in receiver.requests[0].headers
    assert receiver.requests[0].query == {}


def test_rolled_back_transaction_sends_nothing(hooks, runner):
    create_list("ghost@example.com")
    config.db.abort()
    add_domain("after.example.org")
    run_until(runner, lambda: len(hooks.requests) == 2)
    assert runner.process_batch() == 0
    assert [r.json["name"] for r in hooks.requests] == ["DomainCreatingEvent",
                                                        "DomainCreatedEvent"]
    assert "ghost" not in json.dumps(hooks.events())


def test_receiver_down_then_up_loses_nothing(hooks, runner):
    hooks.stop()
    for number in range(5):
        add_domain(f"d{number}.example.org")
    for _ in range(3):
        runner.process_batch()
    assert all(d.status is DeliveryStatus.pending for d in deliveries())
    assert any(d.attempts > 0 for d in deliveries())
    assert all(a.status_code is None and a.error for a in attempts())
    hooks.start()
    run_until(runner, lambda: all(s is DeliveryStatus.delivered for s in statuses()))
    received = {(r["id"], r["name"]) for r in hooks.events()}
    stored = {(str(e.id), e.name) for e in events()}
    assert received == stored
    assert len(stored) == 10


def test_outbox_filled_while_runner_stopped_is_sent_when_it_starts(
    hooks, mailman, monkeypatch
):
    for number in range(12):
        add_domain(f"q{number}.example.org")
    assert len(deliveries()) == 24
    assert hooks.requests == []
    claims: list[int] = []
    claim = outbox.claim

    def counted_claim(*args):
        batch = claim(*args)
        claims.append(len(batch))
        return batch

    monkeypatch.setattr(outbox, "claim", counted_claim)
    runner = WebhooksRunner("webhooks")
    try:
        # One turn of the lane goes on from full batch to full batch.
        assert runner.process_batch() == 24
        run_until(runner, lambda: len(hooks.requests) == 24)
    finally:
        runner._clean_up()
    # batch_size is 10: each claim takes at most ten, never the whole outbox.
    assert [number for number in claims if number] == [10, 10, 4]
    sequences = [r["sequence"] for r in hooks.events()]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == 24


def test_a_lane_gives_the_runner_back_its_turn_after_lane_turn(hooks, runner, monkeypatch):
    # With no time for more, a lane stops after its first full batch, so that the runner
    # looks at the endpoint's state (an administrator's disable) before the next one.
    for number in range(12):
        add_domain(f"turn{number}.example.org")
    monkeypatch.setattr(runner_module, "LANE_TURN", 0.0)
    assert runner.process_batch() == 10
    assert len(hooks.requests) == 10


def test_batch_claimed_by_a_dead_runner_is_sent_after_its_lease(hooks, runner):
    add_domain("lease.example.org")
    settings = webhooks_settings()
    # A runner with a short lease (the configured one must cover a whole batch).
    short = replace(settings, delivery=replace(settings.delivery, lease=timedelta(seconds=0.5)))
    claimed = outbox.claim(config.db.store, "main", short, utcnow())
    assert len(claimed) == 2
    # That runner "dies" here; another one sees nothing until the lease ends.
    assert runner.process_batch() == 0
    assert hooks.requests == []
    time.sleep(0.55)
    run_until(runner, lambda: statuses() == [DeliveryStatus.delivered] * 2)
    assert len(hooks.requests) == 2


def test_slow_receiver_times_out_then_retry_succeeds(configure, hooks, runner):
    configure("[endpoint.main]\ntimeout: 0.2s\nevents: DomainCreatedEvent\n")
    hooks.script = lambda number: (200, {}, 0.6 if number == 1 else 0.0)
    add_domain("slow.example.org")
    run_until(runner, lambda: statuses() == [DeliveryStatus.delivered])
    first, second = attempts()
    assert first.status_code is None
    assert "timeout" in first.error
    assert 0.15 < first.duration < 0.6
    assert second.status_code == 200
    assert deliveries()[0].attempts == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_final(configure, hooks, runner, status):
    configure("[endpoint.main]\nevents: DomainCreatedEvent\n")
    hooks.script = lambda number: (status, {}, 0.0)
    add_domain("refused.example.org")
    run_until(runner, lambda: statuses() == [DeliveryStatus.failed])
    time.sleep(0.15)  # longer than max_backoff: a retry would have come by now
    assert runner.process_batch() == 0
    assert len(hooks.requests) == 1
    (delivery,) = deliveries()
    assert delivery.last_status_code == status
    assert delivery.attempts == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(configure, hooks, runner, status):
    configure("[endpoint.main]\nevents: DomainCreatedEvent\n")
    hooks.script = lambda number: (status if number < 3 else 200, {}, 0.0)
    add_domain("flaky.example.org")
    run_until(runner, lambda: statuses() == [DeliveryStatus.delivered])
    assert [a.status_code for a in attempts()] == [status, status, 200]
    assert len({r.json["id"] for r in hooks.requests}) == 1


def test_429_is_retried_no_earlier_than_retry_after(configure, hooks, runner):
    # Retry-After is honoured up to max_backoff.
    configure("[delivery]\nmax_backoff: 2s\n[endpoint.main]\nevents: DomainCreatedEvent\n")
    hooks.script = lambda number: (429, {"Retry-After": "1"}, 0.0) if number == 1 else (
        200, {}, 0.0)
    add_domain("busy.example.org")
    run_until(runner, lambda: statuses() == [DeliveryStatus.delivered])
    first, second = hooks.requests
    # Without Retry-After the retry would come after at most initial_backoff (0.02 s).
    assert second.at - first.at >= 0.95
    assert [a.status_code for a in attempts()] == [429, 200]


def test_an_unreadable_retry_after_is_recorded_and_retried_on_the_backoff(
    configure, hooks, runner
):
    # "²" is a digit to str.isdigit(): it once made the whole batch fail, unrecorded.
    configure("[endpoint.main]\nevents: DomainCreatedEvent\n")
    hooks.script = lambda number: (503, {"Retry-After": "\u00b2"}, 0.0) if number == 1 else (
        200, {}, 0.0)
    add_domain("garbled.example.org")
    run_until(runner, lambda: statuses() == [DeliveryStatus.delivered])
    assert [a.status_code for a in attempts()] == [503, 200]


def test_a_retry_after_of_thousands_of_years_pauses_only_max_backoff_and_only_its_endpoint(
    configure, receiver, runner
):
    # Such a value once failed the whole batch (nothing recorded, sent again and again),
    # then paused the endpoint until the year 9999 without anyone being told.
    other = Receiver()
    try:
        configure(
            "[delivery]\ninitial_backoff: 0.02s\nmax_backoff: 0.3s\nbatch_size: 10\n"
            "lease: 30s\n"
            + endpoint_cfg("patient", receiver.url, events="DomainCreatedEvent")
            + endpoint_cfg("other", other.url, events="DomainCreatedEvent")
        )
        receiver.script = lambda number: (
            (503, {"Retry-After": "300000000000"}, 0.0) if number == 1 else (200, {}, 0.0))
        add_domain("patient.example.org")
        runner.process_batch()
        assert [a.status_code for a in attempts()] in ([503, 200], [200, 503])
        state = outbox.endpoint_states(config.db.store)["patient"]
        assert state.retry_at <= utcnow() + timedelta(seconds=0.3)
        add_domain("busy.example.org")
        run_until(runner, lambda: len(other.requests) == 2)
        run_until(runner, lambda: statuses() == [DeliveryStatus.delivered] * 4, timeout=3)
    finally:
        other.stop()


def test_a_failure_to_record_one_attempt_affects_only_its_delivery(
    configure, hooks, runner, monkeypatch
):
    configure("[endpoint.main]\nevents: DomainCreatedEvent\n")
    for number in range(3):
        add_domain(f"rec{number}.example.org")
    poisoned = deliveries()[1].id
    record = outbox.record

    def failing_for_one(store, token, done, settings):
        if any(one.delivery_id == poisoned for one in done):
            raise OverflowError("date value out of range")
        record(store, token, done, settings)

    monkeypatch.setattr(outbox, "record", failing_for_one)
    assert runner.process_batch() == 3
    by_id = {d.id: d for d in deliveries()}
    assert len(hooks.requests) == 3
    assert [by_id[i].status for i in sorted(by_id)] == [
        DeliveryStatus.delivered, DeliveryStatus.pending, DeliveryStatus.delivered]
    # Unrecorded, it stays claimed: sent again when its lease ends, not before.
    assert by_id[poisoned].claimed_by is not None
    assert runner.process_batch() == 0


def test_410_disables_the_endpoint_until_enabled(configure, hooks, runner):
    configure("[endpoint.main]\nevents: DomainCreatedEvent\n")
    hooks.script = lambda number: (410, {}, 0.0) if number == 1 else (200, {}, 0.0)
    add_domain("gone1.example.org")
    run_until(runner, lambda: statuses() == [DeliveryStatus.failed])
    assert outbox.disabled_endpoints(config.db.store) == {"main"}
    add_domain("gone2.example.org")
    assert runner.process_batch() == 0
    assert len(hooks.requests) == 1
    with transaction():
        admin.resume_endpoint(config.db.store, "main")
    assert outbox.disabled_endpoints(config.db.store) == set()
    run_until(runner, lambda: statuses()[-1] is DeliveryStatus.delivered)
    assert [r.json["event"]["domain"] for r in hooks.requests] == [
        "gone1.example.org", "gone2.example.org"]


def test_delivery_fails_when_retry_period_is_over(configure, hooks, runner):
    configure("[delivery]\nretry_period: 0.3s\n[endpoint.main]\nevents: DomainCreatedEvent\n")
    hooks.script = lambda number: (503, {}, 0.0)
    add_domain("doomed.example.org")
    started = time.monotonic()
    run_until(runner, lambda: statuses() == [DeliveryStatus.failed])
    assert time.monotonic() - started >= 0.25
    (delivery,) = deliveries()
    assert delivery.attempts == len(hooks.requests) >= 3
    assert "retry period over" in delivery.last_error


def test_each_attempt_is_recorded(configure, hooks, runner):
    configure("[endpoint.main]\nevents: DomainCreatedEvent\n")
    hooks.script = lambda number: (500, {}, 0.0) if number == 1 else (204, {}, 0.0)
    add_domain("logged.example.org")
    run_until(runner, lambda: statuses() == [DeliveryStatus.delivered])
    first, second = attempts()
    assert (first.status_code, first.error) == (500, "HTTP 500 Internal Server Error")
    assert (second.status_code, second.error) == (204, None)
    assert first.at <= second.at
    assert all(attempt.duration >= 0 for attempt in (first, second))
    assert deliveries()[0].last_status_code == 204


def test_down_endpoint_does_not_hold_up_another(configure, receiver, runner):
    other = Receiver()
    try:
        other.stop()
        configure(
            FAST_DELIVERY
            + endpoint_cfg("up", receiver.url, events="DomainCreatedEvent")
            + endpoint_cfg("down", other.url, events="DomainCreatedEvent", timeout="0.2s")
        )
        for number in range(5):
            add_domain(f"two{number}.example.org")
        run_until(runner, lambda: len(receiver.requests) == 5, timeout=3)
        down = [d for d in deliveries() if d.endpoint == "down"]
        assert all(d.status is DeliveryStatus.pending for d in down)
    finally:
        other.stop()


def test_api_key_never_appears_in_recorded_errors(configure, hooks, runner):
    hooks.stop()
    configure("[endpoint.main]\nevents: DomainCreatedEvent\n")
    add_domain("secret.example.org")
    runner.process_batch()
    (attempt,) = attempts()
    assert attempt.error
    assert API_KEY not in attempt.error
    assert "k3y" not in attempt.error


def test_runner_stopped_mid_batch_gives_its_claims_back(configure, hooks, runner):
    configure("[endpoint.main]\nevents: DomainCreatedEvent\n")
    for number in range(3):
        add_domain(f"stop{number}.example.org")
    hooks.script = lambda number: (200, {}, 0.5 if number == 1 else 0.0)
    saved = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    runner.set_signals()
    try:
        threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        with pytest.raises(RunnerInterrupt):
            runner.process_batch()
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    # The request under way was answered and recorded; the rest went back at once.
    assert [d.status for d in deliveries()] == [DeliveryStatus.delivered] + [
        DeliveryStatus.pending] * 2
    assert all(d.claimed_by is None for d in deliveries())
    assert len(hooks.requests) == 1
    fresh = WebhooksRunner("webhooks")
    try:
        run_until(fresh, lambda: statuses() == [DeliveryStatus.delivered] * 3)
    finally:
        fresh._clean_up()
    assert len(hooks.requests) == 3
    assert len({r.json["id"] for r in hooks.requests}) == 3


def test_dead_endpoint_costs_one_attempt_per_pause(configure, hooks, runner):
    configure("[delivery]\ninitial_backoff: 0.3s\nmax_backoff: 0.6s\n"
              "[endpoint.main]\nevents: DomainCreatedEvent\n")
    hooks.stop()
    for number in range(6):
        add_domain(f"dead{number}.example.org")
    assert runner.process_batch() == 6
    assert len(attempts()) == 1
    state = outbox.endpoint_states(config.db.store)["main"]
    assert state.failures == 1
    # Paused: nothing of this endpoint is claimed, however much waits.
    assert runner.process_batch() == 0
    time.sleep(0.35)
    runner.process_batch()
    assert len(attempts()) == 2
    config.db.store.refresh(state)
    assert state.failures == 2
    hooks.start()
    time.sleep(0.65)
    run_until(runner, lambda: statuses() == [DeliveryStatus.delivered] * 6)
    config.db.store.refresh(state)
    assert (state.failures, state.retry_at) == (0, None)


def test_backlog_of_dead_endpoint_does_not_starve_another(configure, receiver, runner):
    dead = Receiver()
    try:
        configure(
            "[delivery]\nbatch_size: 3\nlease: 10s\ninitial_backoff: 1s\nmax_backoff: 2s\n"
            + endpoint_cfg("alive", receiver.url, events="DomainCreatedEvent", timeout="1s")
            + endpoint_cfg("dead", dead.url, events="DomainCreatedEvent", timeout="0.3s")
        )
        dead.script = lambda number: (200, {}, 1.0)  # answers too late: a timeout
        for number in range(9):
            add_domain(f"older{number}.example.org")  # 9 + 9 deliveries, oldest first
        started = time.monotonic()
        run_until(runner, lambda: len(receiver.requests) == 9, timeout=5)
        # One timeout of the dead endpoint, then it pauses; no timeout per event.
        assert time.monotonic() - started < 1.5
        assert len(dead.requests) == 1
    finally:
        dead.stop()


def turn(runner) -> None:
    """One turn of Mailman's runner loop, as `Runner.run` makes it."""
    runner._snooze(runner._one_iteration())


def test_a_slow_endpoint_does_not_delay_another_endpoints_events(configure, receiver, runner):
    slow = Receiver()
    try:
        configure(
            "[delivery]\nbatch_size: 5\nlease: 60s\n"
            + endpoint_cfg("slow", slow.url, events="DomainCreatedEvent", timeout="5s")
            + endpoint_cfg("fast", receiver.url, events="DomainCreatedEvent")
        )
        slow.script = lambda number: (200, {}, 1.0)
        for number in range(3):
            add_domain(f"queued{number}.example.org")
        runner.sleep_float = 0.05
        started = time.monotonic()
        while len(receiver.requests) < 3 and time.monotonic() - started < 5:
            turn(runner)
        assert time.monotonic() - started < 0.8
        # While the slow endpoint still works through its batch, a new event comes.
        added = time.monotonic()
        add_domain("new.example.org")
        while len(receiver.requests) < 4 and time.monotonic() - added < 5:
            turn(runner)
        assert time.monotonic() - added < 0.8
        assert len(slow.requests) <= 2
        # Within one endpoint, events go out in their order.
        sequences = [request.json["sequence"] for request in receiver.requests]
        assert sequences == sorted(sequences)
    finally:
        runner.stop()
        slow.stop()


def test_an_endpoints_backlog_does_not_delay_another_endpoints_events(
    configure, receiver, runner
):
    backlog = Receiver()
    try:
        configure(
            "[delivery]\nbatch_size: 20\nlease: 60s\n"
            + endpoint_cfg("backlog", backlog.url, events="DomainCreatedEvent")
            + endpoint_cfg("fresh", receiver.url, events="DomainCreatedEvent")
        )
        configure("[endpoint.fresh]\nevents: (?!)\n")  # nothing for it, for now
        with transaction():
            manager = getUtility(IDomainManager)
            for number in range(200):
                manager.add(f"old{number}.example.org")
        configure("[endpoint.fresh]\nevents: DomainCreatedEvent\n")
        backlog.script = lambda number: (200, {}, 0.01)
        runner.sleep_float = 0.05
        turn(runner)
        added = time.monotonic()
        add_domain("new.example.org")
        while not receiver.requests and time.monotonic() - added < 5:
            turn(runner)
        assert time.monotonic() - added < 0.8
        assert len(backlog.requests) < 200
    finally:
        runner.stop()
        backlog.stop()


def test_a_runner_turn_fans_new_events_out_before_it_claims(hooks, runner):
    # The events are committed without deliveries; one turn makes and sends them.
    with transaction():
        create_list("turn@example.com")
    with config.db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM webhook_delivery")).scalar() == 0
    assert runner.process_batch() == 2
    assert [request.json["name"] for request in hooks.requests] == [
        "ListCreatingEvent", "ListCreatedEvent"]


def test_a_failed_fan_out_is_logged_and_the_events_wait(hooks, runner, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    with transaction():
        create_list("later@example.com")
    monkeypatch.setattr(runner_module.fanout, "fan_out", broken)
    assert runner.process_batch() == 0
    assert "webhooks: fan-out failed (OSError)" in caplog.text
    monkeypatch.undo()
    run_until(runner, lambda: len(hooks.requests) == 2)
