# Test that one POST reaches a real loopback receiver with the body, key and headers, that
# each HTTP answer gets the right verdict, and that errors never carry the api_key.

from __future__ import annotations

import dataclasses
import re
import socket
from typing import Any

import pytest

from mailman_webhooks.retry import Outcome, Verdict
from mailman_webhooks.sender import Sender
from mailman_webhooks.settings import Endpoint


def endpoint(url: str, **changes: Any) -> Endpoint:
    default = Endpoint(
        name="test",
        url=url,
        api_key="s3cr3t key",
        events=re.compile(".*"),
        secret=b"k" * 32,
        timeout=2.0,
        include_secrets=False,
    )
    return dataclasses.replace(default, **changes)


@pytest.fixture
def sender():
    instance = Sender()
    yield instance
    instance.close()


def test_post_carries_body_key_and_signature(receiver, sender):
    outcome = sender.send(endpoint(receiver.url), "ev-1", b'{"a":1}')
    assert outcome.verdict is Verdict.delivered
    assert outcome.error is None
    (request,) = receiver.requests
    assert request.body == b'{"a":1}'
    assert request.query == {"key": ["s3cr3t key"]}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "ev-1"
    assert request.headers["webhook-signature"].startswith("v1,")


def test_existing_query_is_kept(receiver, sender):
    sender.send(endpoint(receiver.url + "?list=ant"), "ev-1", b"{}")
    assert receiver.requests[0].query == {"list": ["ant"], "key": ["s3cr3t key"]}


def test_connection_is_kept_alive(receiver, sender):
    target = endpoint(receiver.url)
    for number in range(3):
        sender.send(target, f"ev-{number}", b"{}")
    assert len(receiver.requests) == 3
    assert len({request.peer for request in receiver.requests}) == 1


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.delivered), (201, Verdict.delivered), (204, Verdict.delivered),
        (301, Verdict.final), (400, Verdict.final), (404, Verdict.final),
        (408, Verdict.retry), (410, Verdict.gone), (429, Verdict.retry),
        (500, Verdict.retry), (503, Verdict.retry),
    ],
)
def test_verdict_of_each_answer(receiver, sender, status, verdict):
    receiver.script = lambda number: (status, {"Location": "http://elsewhere/"}, 0.0)
    outcome = sender.send(endpoint(receiver.url), "ev", b"{}")
    assert outcome.status_code == status
    assert outcome.verdict is verdict
    assert len(receiver.requests) == 1  # redirects are not followed


def test_retry_after_is_reported(receiver, sender):
    receiver.script = lambda number: (429, {"Retry-After": "30"}, 0.0)
    outcome = sender.send(endpoint(receiver.url), "ev", b"{}")
    assert outcome.retry_after == "30"


def test_timeout_is_a_retry_without_status(receiver, sender):
    receiver.script = lambda number: (200, {}, 1.0)
    outcome = sender.send(endpoint(receiver.url, timeout=0.2), "ev", b"{}")
    assert outcome.status_code is None
    assert outcome.verdict is Verdict.retry
    assert outcome.error.startswith("timeout after 0.2s")
    assert outcome.duration < 0.9


def test_refused_connection_error_hides_the_api_key(sender):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = sender.send(endpoint(f"http://127.0.0.1:{port}/x"), "ev", b"{}")
    assert outcome.verdict is Verdict.retry
    assert "ConnectionError" in outcome.error
    assert "s3cr3t" not in outcome.error
    assert "<api_key>" in outcome.error


def test_outcome_without_answer_is_retried():
    assert Outcome(None, 0.1, "boom").verdict is Verdict.retry
