# Test that the REST API lists the configured endpoints with their health (and a pause:
# until when, why), never their api_key or secret, re-enables an endpoint a 410 disabled or
# a pause holds, and pings through the runner.

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from mailman_webhooks.admin import PING_EVENT
from mailman_webhooks.model import WebhookAttempt
from mailman_webhooks.rest.tests.helpers import (
    ALPHA_API_KEY,
    ALPHA_SECRET,
    api,
    api_error,
    local,
)
from mailman_webhooks.tests.conftest import run_until
from mailman_webhooks.tests.helpers import add_domain, attempts, deliveries

pytestmark = pytest.mark.mailman


def test_list_shows_configured_endpoints_without_credentials(rest_url):
    content, response = api(rest_url, "endpoints")
    assert response.status_code == 200
    assert content["total_size"] == 2
    alpha, beta = content["entries"]
    assert (alpha["name"], beta["name"]) == ("alpha", "beta")
    assert alpha["url"] == "http://127.0.0.1:9/alpha"
    assert beta["url"] == "http://127.0.0.1:9/beta"
    assert alpha["events"] == "(?!)"
    assert alpha["timeout"] == 2.0
    assert (alpha["signed"], alpha["sends_api_key"]) == (True, True)
    assert (beta["signed"], beta["sends_api_key"]) == (False, False)
    assert alpha["self_link"] == rest_url("3.1/plugins/webhooks/endpoints/alpha")
    for entry in (alpha, beta):
        assert entry["disabled"] is False
        assert (entry["paused_until"], entry["paused_reason"]) == (None, None)
        assert entry["pending"] == 0
        assert entry["consecutive_failures"] == 0
        assert entry["last_success"] is None and entry["last_failure"] is None
    text = response.text
    for secret in (ALPHA_API_KEY, ALPHA_SECRET.removeprefix("whsec_"), "pass", "token"):
        assert secret not in text


def test_list_is_paged(rest_url):
    content, _ = api(rest_url, "endpoints?count=1&page=2")
    assert content["start"] == 1
    assert content["total_size"] == 2
    assert [entry["name"] for entry in content["entries"]] == ["beta"]


def test_one_endpoint_and_an_unknown_one(rest_url):
    content, _ = api(rest_url, "endpoints/beta")
    assert content["name"] == "beta"
    assert "http_etag" in content
    assert api_error(rest_url, "endpoints/gamma") == (404, "Unknown endpoint: gamma")


def test_health_counts_failures_since_the_last_success(rest_url, configure, receiver, runner):
    configure(local("alpha", receiver.url))
    receiver.script = lambda number: (200, {}, 0.0) if number == 1 else (500, {}, 0.0)
    add_domain("health.example.org")  # DomainCreatingEvent, DomainCreatedEvent
    run_until(runner, lambda: len(receiver.requests) >= 3)
    content, _ = api(rest_url, "endpoints/alpha")
    tries = attempts()
    successes = [a for a in tries if a.status_code == 200]
    failures = [a for a in tries if a.status_code == 500]
    assert len(successes) == 1 and len(failures) == len(tries) - 1 >= 2
    assert content["consecutive_failures"] == len(failures)
    assert content["pending"] == 1
    assert content["last_success"] == successes[0].at.isoformat() + "Z"
    assert content["last_failure"] == max(a.at for a in failures).isoformat() + "Z"
    assert content["disabled"] is False
    # The untouched endpoint has no history.
    beta, _ = api(rest_url, "endpoints/beta")
    assert (beta["consecutive_failures"], beta["last_failure"]) == (0, None)


def test_a_success_resets_the_failure_count(rest_url, configure, receiver, runner):
    configure(local("alpha", receiver.url))
    receiver.script = lambda number: (503, {}, 0.0) if number <= 2 else (200, {}, 0.0)
    add_domain("reset.example.org")
    run_until(runner, lambda: all(d.status.value == "delivered" for d in deliveries()))
    content, _ = api(rest_url, "endpoints/alpha")
    assert content["consecutive_failures"] == 0
    assert content["pending"] == 0
    assert content["last_failure"] is not None
    assert content["last_success"] > content["last_failure"]


def test_endpoint_gone_is_shown_disabled_and_patch_enables_it(
    rest_url, configure, receiver, runner
):
    configure(local("alpha", receiver.url))
    receiver.script = lambda number: (410, {}, 0.0)
    add_domain("gone.example.org")
    run_until(runner, lambda: len(receiver.requests) == 1 and not runner.process_batch())
    content, _ = api(rest_url, "endpoints/alpha")
    assert content["disabled"] is True
    assert content["disabled_reason"] == "HTTP 410 Gone"
    assert content["disabled_at"] is not None
    assert content["pending"] == 1  # the second event waits for the endpoint
    receiver.script = lambda number: (200, {}, 0.0)
    assert runner.process_batch() == 0
    _, response = api(rest_url, "endpoints/alpha", method="PATCH", json={"disabled": False})
    assert response.status_code == 204
    content, _ = api(rest_url, "endpoints/alpha")
    assert (content["disabled"], content["disabled_reason"]) == (False, None)
    run_until(runner, lambda: len(receiver.requests) == 2)
    assert receiver.requests[1].json["name"] == "DomainCreatedEvent"


# Pauses of minutes, so that the test sees one; FAST_DELIVERY's lease still fits.
SLOW_PAUSE = "[delivery]\ninitial_backoff: 10m\nmax_backoff: 1h\n"


def test_pause_is_shown_with_its_end_and_reason_and_patch_ends_it(
    rest_url, configure, receiver, runner
):
    configure(local("alpha", receiver.url))
    configure(SLOW_PAUSE)
    receiver.script = lambda number: (503, {}, 0.0) if number == 1 else (200, {}, 0.0)
    add_domain("paused-by-503.example.org")  # DomainCreatingEvent, DomainCreatedEvent
    run_until(runner, lambda: len(receiver.requests) == 1 and not runner.process_batch())
    content, _ = api(rest_url, "endpoints/alpha")
    assert content["paused_reason"] == "HTTP 503 Service Unavailable"
    assert content["paused_until"] > content["last_failure"]
    (listed,) = [e for e in api(rest_url, "endpoints")[0]["entries"] if e["name"] == "alpha"]
    assert (listed["paused_until"], listed["paused_reason"]) == (
        content["paused_until"], content["paused_reason"])
    assert content["disabled"] is False
    assert content["pending"] == 2
    # Nothing goes out during the pause ...
    assert runner.process_batch() == 0
    _, response = api(rest_url, "endpoints/alpha", method="PATCH", json={"disabled": False})
    assert response.status_code == 204
    content, _ = api(rest_url, "endpoints/alpha")
    assert (content["paused_until"], content["paused_reason"]) == (None, None)
    # ... and the waiting event goes at once after it; the one that failed keeps its own
    # retry time.
    run_until(runner, lambda: len(receiver.requests) == 2)
    assert receiver.requests[1].json["name"] == "DomainCreatedEvent"
    content, _ = api(rest_url, "endpoints/alpha")
    assert (content["pending"], content["consecutive_failures"]) == (1, 0)


def test_patch_can_disable_an_endpoint(rest_url, configure, receiver, runner):
    configure(local("alpha", receiver.url))
    _, response = api(rest_url, "endpoints/alpha", method="PATCH", data={"disabled": "true"})
    assert response.status_code == 204
    add_domain("paused.example.org")
    assert runner.process_batch() == 0
    assert receiver.requests == []
    content, _ = api(rest_url, "endpoints/alpha")
    assert content["disabled"] is True
    assert content["disabled_reason"] == "disabled through the REST API"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        pytest.param({"disabled": "maybe"}, ('"disabled"', "maybe"), id="value"),
        pytest.param({"disabled": 0}, ('"disabled"', "0"), id="number"),
        pytest.param({"url": "http://x/"}, ("Unexpected parameters: url",), id="read-only"),
        pytest.param({}, ("Missing Parameter: disabled",), id="missing"),
    ],
)
def test_patch_refuses_what_it_cannot_do(rest_url, body, named):
    code, description = api_error(rest_url, "endpoints/alpha", method="PATCH", json=body)
    assert code == 400
    for part in named:
        assert part in description


def test_patch_of_unknown_endpoint(rest_url):
    code, description = api_error(
        rest_url, "endpoints/gamma", method="PATCH", json={"disabled": False}
    )
    assert (code, description) == (404, "Unknown endpoint: gamma")


def test_ping_goes_through_outbox_and_runner_signed(rest_url, configure, receiver, runner):
    configure(local("alpha", receiver.url, events="(?!)"))
    content, response = api(rest_url, "endpoints/alpha/ping", method="POST", json={})
    assert response.status_code == 202
    assert content["event_name"] == PING_EVENT
    (delivery,) = deliveries()
    assert content["event_id"] == str(delivery.event.id)
    assert content["delivery_link"].endswith(f"/deliveries/{delivery.id}")
    run_until(runner, lambda: len(receiver.requests) == 1)
    (request,) = receiver.requests
    assert request.query == {"key": [ALPHA_API_KEY]}
    Webhook(ALPHA_SECRET).verify(request.body, request.headers)
    body = json.loads(request.body)
    assert body["id"] == content["event_id"]
    assert body["name"] == PING_EVENT
    assert body["event"] == {"endpoint": "alpha"}
    config_attempts = attempts()
    assert [a.status_code for a in config_attempts] == [200]
    assert isinstance(config_attempts[0], WebhookAttempt)


def test_ping_of_unknown_or_disabled_endpoint(rest_url):
    assert api_error(rest_url, "endpoints/gamma/ping", method="POST", json={}) == (
        404,
        "Unknown endpoint: gamma",
    )
    api(rest_url, "endpoints/beta", method="PATCH", json={"disabled": True})
    code, description = api_error(rest_url, "endpoints/beta/ping", method="POST", json={})
    assert code == 409
    assert description.startswith("Endpoint beta is disabled; enable it first")
    assert deliveries() == []
