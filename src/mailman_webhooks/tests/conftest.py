"""Fixtures of the webhooks tests: a loopback receiver, endpoint configuration, a runner."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from mailman_webhooks.configuration import SETTINGS, webhooks_configuration
from mailman_webhooks.plugin import WebhooksPlugin
from mailman_webhooks.runner import WebhooksRunner
from mailman_webhooks.tests.receiver import Receiver

SECRET = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, base64
API_KEY = "k3y/with+odd&chars"

# Milliseconds instead of seconds, so retries happen within a test.
FAST_DELIVERY = """
[delivery]
initial_backoff: 0.02s
max_backoff: 0.1s
retry_period: 1h
batch_size: 10
lease: 30s
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def configure(mailman) -> Iterator[Callable[[str], None]]:
    """Push configuration text onto this process's webhooks configuration for this test only."""
    configuration = webhooks_configuration()
    pushed: list[str] = []

    def push(text: str) -> None:
        name = f"test overlay {len(pushed)}"
        configuration.push(name, text)
        pushed.append(name)

    try:
        yield push
    finally:
        if pushed:
            configuration.pop(pushed[0])


@pytest.fixture
def new_plugin(mailman) -> Iterator[WebhooksPlugin]:
    """Another plugin instance, named ``webhooks``; the process keeps its settings after it.

    Its pre_hook makes what it loads this process's settings, as Mailman's start-up
    does; the suite's own come back when the test ends.
    """
    previous = SETTINGS.get()
    plugin = WebhooksPlugin()
    plugin.name = "webhooks"
    try:
        yield plugin
    finally:
        SETTINGS.set(previous)


def endpoint_cfg(name: str, url: str, **options: str) -> str:
    """An ``[endpoint.NAME]`` section with a short timeout unless given."""
    options.setdefault("timeout", "2s")
    lines = [f"[endpoint.{name}]", f"url: {url}"]
    lines += [f"{key}: {value}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def hooks(configure, receiver) -> Receiver:
    """One endpoint ``main`` on the receiver, every event, signed, fast retries."""
    configure(FAST_DELIVERY + endpoint_cfg("main", receiver.url, api_key=API_KEY, secret=SECRET))
    return receiver


@pytest.fixture
def runner(mailman):
    """The delivery runner, driven in this process batch by batch."""
    instance = WebhooksRunner("webhooks")
    try:
        yield instance
    finally:
        instance._clean_up()


def run_until(runner, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Process batches until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        if not runner.process_batch():
            time.sleep(0.005)
