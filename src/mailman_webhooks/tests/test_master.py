# Test that the delivery runner works as Mailman runs it: started by Mailman's master from
# the [runner.webhooks] section the plugin adds, in its own process, and resumes after a stop.

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mailman.config import config

from mailman_webhooks.model import DeliveryStatus
from mailman_webhooks.tests.conftest import API_KEY, FAST_DELIVERY, SECRET, endpoint_cfg
from mailman_webhooks.tests.helpers import add_domain, deliveries

pytestmark = pytest.mark.mailman


@pytest.fixture
def subprocess_config(configure, receiver, tmp_path, monkeypatch):
    """The same endpoint file for this process (which captures events) and for runner
    processes, which read it through the extra testing file named in the environment."""
    text = FAST_DELIVERY + endpoint_cfg(
        "main", receiver.url, api_key=API_KEY, secret=SECRET, events="DomainCreatedEvent"
    )
    configure(text)
    hooks_cfg = tmp_path / "webhooks.cfg"
    hooks_cfg.write_text(text)
    extra = tmp_path / "extra.cfg"
    base = Path(os.environ["MAILMAN_EXTRA_TESTING_CFG"]).read_text()
    # Mailman's master starts every runner whose section says `start: yes`; this test
    # wants only ours (master's own -r option fails in Mailman 3.3.10).
    others = "".join(
        f"\n[{section.name}]\nstart: no\n"
        for section in config.runner_configs
        if section.name != "runner.webhooks"
    )
    extra.write_text(
        base
        + f"\n[plugin.webhooks]\nconfiguration: {hooks_cfg}\n"
        + "\n[runner.webhooks]\nsleep_time: 0.05s\n"
        + others
    )
    monkeypatch.setenv("MAILMAN_EXTRA_TESTING_CFG", str(extra))
    return receiver


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def all_delivered() -> bool:
    config.db.abort()  # a fresh snapshot of what the runner process wrote
    return all(delivery.status is DeliveryStatus.delivered for delivery in deliveries())


class MasterProcess:
    """Mailman's ``master`` in a process of its own (only the webhooks runner is started).

    Not Mailman's TestableMaster: that one waits for its runners with ``os.wait()`` in
    this process, where it would also reap the REST server's processes of the suite.
    """

    def __init__(self) -> None:
        master = Path(sys.executable).parent / "master"
        self.process = subprocess.Popen(
            [str(master), "-C", config.filename, "--force"],
            stdin=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def test_master_starts_runner_that_delivers_and_resumes(subprocess_config):
    receiver = subprocess_config
    assert getattr(config, "runner.webhooks")["class"] == "mailman_webhooks.runner.WebhooksRunner"
    master = MasterProcess()
    try:
        add_domain("one.example.org")
        add_domain("two.example.org")
        wait_for(lambda: len(receiver.requests) == 2 and all_delivered())
        master.stop()
        # Runner stopped: the outbox fills up, nothing is sent.
        for number in range(5):
            add_domain(f"later{number}.example.org")
        time.sleep(0.3)
        assert len(receiver.requests) == 2
        master = MasterProcess()
        wait_for(lambda: len(deliveries()) == 7 and all_delivered())
    finally:
        master.stop()
    domains = [request.json["event"]["domain"] for request in receiver.requests]
    # At least once: a stop between sending and recording may repeat one event.
    assert set(domains) == set(
        ["one.example.org", "two.example.org"] + [f"later{n}.example.org" for n in range(5)]
    )
    assert all(request.headers["webhook-signature"].startswith("v1,")
               for request in receiver.requests)
