# Test that a RunnerCrashEvent reaches the outbox although Mailman rolls back the transaction
# it fires in: recorded once, after the rollback, in a transaction of its own, without the
# message's recipients, and even when the crashed runner held the database's write lock.

from __future__ import annotations

import time

import pytest
from mailman.config import config
from mailman.core.runner import Runner
from mailman.testing.helpers import make_testable_runner

from mailman_webhooks.tests import scenario
from mailman_webhooks.tests.conftest import endpoint_cfg
from mailman_webhooks.tests.helpers import deliveries, events

pytestmark = pytest.mark.mailman

URL = "http://127.0.0.1:9/unused"


class WritingCrashingRunner(Runner):
    """Changes the list (taking SQLite's write lock), then fails like a buggy runner."""

    def _dispose(self, mlist, msg, msgdata):
        mlist.display_name = "Written before the crash"
        config.db.store.flush()
        raise RuntimeError(f"crashed on {msg['message-id']}")


def _crash(mlist, runner_class, **msgdata) -> None:
    msg = scenario.post(mlist, "anne@example.com", "<crash@example.net>")
    config.switchboards["in"].enqueue(msg, listid=mlist.list_id, **msgdata)
    make_testable_runner(runner_class, "in").run()


def test_crash_event_is_recorded_after_the_rollback(configure):
    configure(endpoint_cfg("ops", URL, events="RunnerCrashEvent"))
    mlist = scenario.make_list()
    _crash(mlist, scenario.CrashingRunner, recipients=["anne@example.com", "bart@example.com"])
    (event,) = events()
    assert event.name == "RunnerCrashEvent"
    assert event.payload["runner"] == "in"
    assert event.payload["mailing_list"] == "ant.example.com"
    assert event.payload["message"] == "<crash@example.net>"
    assert event.payload["error"] == "RuntimeError"
    assert "recipients" not in event.payload["metadata"]
    assert event.payload["metadata"]["listid"] == "ant.example.com"
    assert "anne@example.com" not in repr(event.payload)
    assert [d.endpoint for d in deliveries()] == ["ops"]


def test_crash_of_a_runner_holding_the_write_lock_is_recorded_at_once(configure):
    configure(endpoint_cfg("ops", URL, events="RunnerCrashEvent"))
    mlist = scenario.make_list()
    started = time.monotonic()
    _crash(mlist, WritingCrashingRunner)
    # A write beside the runner's open transaction would wait out SQLite's busy timeout.
    assert time.monotonic() - started < 3
    assert [event.name for event in events()] == ["RunnerCrashEvent"]
    config.db.store.expire_all()
    assert mlist.display_name != "Written before the crash"


def test_crash_event_no_endpoint_wants_is_not_stored(configure):
    configure(endpoint_cfg("lists", URL, events="List.*"))
    mlist = scenario.make_list()
    _crash(mlist, scenario.CrashingRunner)
    assert [event.name for event in events()] == ["ListCreatingEvent", "ListCreatedEvent"]


def test_crash_event_is_recorded_once_however_the_transaction_ends(configure):
    configure(endpoint_cfg("ops", URL, events="RunnerCrashEvent"))
    mlist = scenario.make_list()
    _crash(mlist, scenario.CrashingRunner)
    config.db.commit()
    config.db.abort()
    assert len(events()) == 1
