# Test that several instances of the delivery runner split the endpoints between them:
# each endpoint is sent to by one instance only, in the order of its events, and only
# the first instance sweeps the outbox.

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.domain import IDomainManager
from zope.component import getUtility

from mailman_webhooks.runner import WebhooksRunner
from mailman_webhooks.sharding import Shard, endpoint_slice
from mailman_webhooks.tests.conftest import FAST_DELIVERY, endpoint_cfg

pytestmark = pytest.mark.mailman

NAMES = ("alpha", "beta", "gamma", "delta")
EVENTS = 25


@pytest.fixture
def two_instances(mailman) -> Iterator[None]:
    """``[runner.webhooks] instances: 2`` in Mailman's configuration, as an administrator
    sets it in mailman.cfg."""
    config.push("two webhooks runners", "[runner.webhooks]\ninstances: 2\n")
    try:
        yield
    finally:
        config.pop("two webhooks runners")


@pytest.fixture
def runners(two_instances) -> Iterator[list[WebhooksRunner]]:
    """Slices 0 and 1 of 2, as Mailman's master makes them (``webhooks:0:2``, ``webhooks:1:2``)."""
    made = [WebhooksRunner("webhooks", number) for number in range(2)]
    try:
        yield made
    finally:
        for runner in made:
            runner._clean_up()


def test_the_endpoints_fall_in_both_slices():
    # What the other tests rely on: with these names each instance has work.
    assert {endpoint_slice(name, 2) for name in NAMES} == {0, 1}


def test_two_instances_never_send_to_the_same_endpoint_and_keep_its_order(
    configure, receiver, runners
):
    configure(FAST_DELIVERY + "".join(
        endpoint_cfg(name, f"http://127.0.0.1:{receiver.port}/{name}",
                     events="DomainCreatedEvent")
        for name in NAMES
    ))
    with transaction():
        manager = getUtility(IDomainManager)
        for number in range(EVENTS):
            manager.add(f"shard{number}.example.org")
    # Which instance sent what, as each one's sender was asked to.
    sent: list[list[str]] = [[], []]
    for number, runner in enumerate(runners):
        send = runner.sender.send

        def recording_send(endpoint, message_id, body, send=send, mine=sent[number]):
            mine.append(endpoint.name)
            return send(endpoint, message_id, body)

        runner.sender.send = recording_send
    expected = EVENTS * len(NAMES)

    def run(runner: WebhooksRunner) -> None:
        deadline = time.monotonic() + 30
        while len(receiver.requests) < expected and time.monotonic() < deadline:
            if not runner.process_batch():
                time.sleep(0.01)

    threads = [threading.Thread(target=run, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(receiver.requests) == expected
    first, second = set(sent[0]), set(sent[1])
    assert first and second
    assert not first & second
    assert first | second == set(NAMES)
    for name in NAMES:
        sequences = [request.json["sequence"] for request in receiver.requests
                     if request.path == f"/{name}"]
        assert len(sequences) == EVENTS
        assert sequences == sorted(set(sequences))


def test_a_runner_started_without_a_slice_sends_to_every_endpoint(two_instances):
    runner = WebhooksRunner("webhooks")
    try:
        assert all(runner.shard.owns(name) for name in NAMES)
    finally:
        runner._clean_up()


def test_a_slice_outside_the_instances_is_refused(two_instances):
    with pytest.raises(ValueError, match="slice 2 is not one of the 2"):
        WebhooksRunner("webhooks", 2)


def test_only_the_first_instance_sweeps_the_outbox(runners, monkeypatch):
    swept: list[int] = []
    for number, runner in enumerate(runners):
        monkeypatch.setattr(runner.sweep, "step",
                            lambda engine, settings, number=number: swept.append(number))
        runner.process_batch()
    assert swept == [0]


def test_an_endpoints_slice_is_the_same_in_every_process():
    # Python's hash of a string changes with PYTHONHASHSEED; the slice must not.
    script = (
        "from mailman_webhooks.sharding import endpoint_slice;"
        f"print([endpoint_slice(n, c) for n in {NAMES!r} for c in (2, 4, 8)])"
    )
    here = [endpoint_slice(name, count) for name in NAMES for count in (2, 4, 8)]
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                             capture_output=True, text=True, timeout=60).stdout
        assert out.strip() == str(here)


def test_one_instance_owns_every_endpoint():
    shard = Shard.of(0, 1)
    assert all(shard.owns(name) for name in NAMES)
    assert shard.keeps_house


def test_each_instance_names_its_endpoints_in_the_log(configure, two_instances, caplog):
    configure(FAST_DELIVERY + "".join(
        endpoint_cfg(name, f"http://127.0.0.1:9/{name}") for name in NAMES))
    with caplog.at_level(logging.INFO, logger="mailman.plugins"):
        made = [WebhooksRunner("webhooks", number) for number in range(2)]
    for runner in made:
        runner._clean_up()
    named: list[set[str]] = []
    for number in (1, 2):
        prefix = f"webhooks runner {number} of 2 sends to: "
        (line,) = [m for m in caplog.messages if m.startswith(prefix)]
        named.append(set(line.removeprefix(prefix).split(", ")) & set(NAMES))
    assert named[0] and named[1]
    assert not named[0] & named[1]
    assert named[0] | named[1] == set(NAMES)
    assert all(made[index].shard.owns(name) for index in (0, 1) for name in named[index])
