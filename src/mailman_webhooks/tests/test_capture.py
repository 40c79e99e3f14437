# Test that Mailman events are recorded in the outbox in the transaction that fired them,
# fanned out to the endpoints whose expression matches, and that capture never raises: an
# event fired outside any transaction is committed on its own at once, leaving no lock, and
# a database error in capture undoes that event's rows only, on SQLite and PostgreSQL.

from __future__ import annotations

import uuid

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.listmanager import IListManager
from mailman.interfaces.subscriptions import ISubscriptionManager
from mailman.interfaces.usermanager import IUserManager
from sqlalchemy import select
from zope.component import getUtility

from mailman_webhooks import admin
from mailman_webhooks import capture as capture_module
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import DeliveryStatus, WebhookEvent
from mailman_webhooks.tests.conftest import endpoint_cfg
from mailman_webhooks.tests.helpers import add_domain, deliveries, events

pytestmark = pytest.mark.mailman

URL = "http://127.0.0.1:9/unused"
NEEDED = "SubscriptionConfirmationNeededEvent"


def test_events_commit_with_the_operation(configure):
    configure(endpoint_cfg("all", URL))
    with transaction():
        create_list("ant@example.com")
    assert [event.name for event in events()] == ["ListCreatingEvent", "ListCreatedEvent"]
    assert all(d.status is DeliveryStatus.pending for d in deliveries())


def test_rolled_back_operation_leaves_no_row(configure):
    configure(endpoint_cfg("all", URL))
    create_list("bee@example.com")
    config.db.abort()
    assert events() == []
    assert deliveries() == []


def test_no_matching_endpoint_stores_nothing(configure):
    configure(endpoint_cfg("lists", URL, events="List.*"))
    add_domain("plain.example.org")
    assert events() == []


def test_expression_must_match_the_whole_class_name(configure):
    configure(endpoint_cfg("created", URL, events="Created"))
    add_domain("partial.example.org")
    assert events() == []


def test_fan_out_one_delivery_per_matching_endpoint(configure):
    configure(
        endpoint_cfg("domains", URL, events="Domain.*")
        + endpoint_cfg("created", URL, events=".*CreatedEvent")
        + endpoint_cfg("lists", URL, events="List.*")
    )
    add_domain("fan.example.org")
    by_event = {}
    for delivery in deliveries():
        by_event.setdefault(delivery.event.name, set()).add(delivery.endpoint)
    assert by_event == {
        "DomainCreatingEvent": {"domains"},
        "DomainCreatedEvent": {"domains", "created"},
    }


def test_sequence_grows_across_transactions(configure):
    configure(endpoint_cfg("all", URL, events="Domain.*"))
    for number in range(3):
        add_domain(f"s{number}.example.org")
    sequences = [event.sequence for event in events()]
    assert len(sequences) == 6
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == 6


def _invite(configure_text: str, configure) -> dict:
    configure(configure_text)
    with transaction():
        mlist = create_list("tok@example.com")
        mlist.subscription_policy = mlist.subscription_policy.confirm
    with transaction():
        address = getUtility(IUserManager).create_address("cat@example.com")
        token, _, _ = ISubscriptionManager(mlist).register(address)
    (event,) = [e for e in events() if e.name == NEEDED]
    return {"token": token, "event": event}


def test_confirmation_token_stored_apart_only_for_trusted_endpoint(configure):
    found = _invite(
        endpoint_cfg("ui", URL, events=NEEDED, include_secrets="yes")
        + endpoint_cfg("public", URL, events=NEEDED),
        configure,
    )
    event, token = found["event"], found["token"]
    assert token not in repr(event.payload)
    assert token in repr(event.secret_payload)
    assert token in repr(event.body(include_secrets=True))
    assert token not in repr(event.body(include_secrets=False))


def test_no_secret_payload_without_a_trusted_endpoint(configure):
    found = _invite(endpoint_cfg("public", URL, events=NEEDED), configure)
    assert found["event"].secret_payload is None
    assert found["token"] not in repr(found["event"].payload)


def test_failing_capture_does_not_break_the_operation(configure, monkeypatch, caplog):
    configure(endpoint_cfg("all", URL))

    def broken(event, *, include_secrets):
        raise RuntimeError("secret content that must not be logged")

    monkeypatch.setattr(capture_module, "serialize_event", broken)
    with transaction():
        mlist = create_list("robust@example.com")
    assert mlist.list_id == "robust.example.com"
    assert events() == []
    assert "not recorded (RuntimeError)" in caplog.text
    assert "secret content" not in caplog.text


def test_payload_json_cannot_hold_is_refused_before_the_flush(configure, monkeypatch, caplog):
    configure(endpoint_cfg("all", URL))
    monkeypatch.setattr(
        capture_module, "serialize_event", lambda event, *, include_secrets: {"x": float("nan")}
    )
    with transaction():
        mlist = create_list("nan@example.com")
    assert mlist.list_id == "nan.example.com"
    assert events() == []
    assert "not recorded (ValueError)" in caplog.text


def test_captured_rows_take_the_models_defaults_as_the_orm_does(configure):
    configure(endpoint_cfg("all", URL, events="DomainCreatedEvent"))
    add_domain("defaults.example.org")
    endpoint = webhooks_settings().endpoints["all"]
    admin.ping(config.db.store, endpoint, utcnow())
    config.db.commit()
    captured, pinged = deliveries()
    for delivery in (captured, pinged):
        assert delivery.status is DeliveryStatus.pending
        assert delivery.attempts == 0
        assert delivery.next_attempt_at == delivery.created
        assert isinstance(delivery.event.id, uuid.UUID)
    assert captured.event.id != pinged.event.id


def _other_connection_writes() -> None:
    """Write from a connection of its own, as another Mailman process would.

    SQLite: a second writer waits at most 0.2 s for the database lock. PostgreSQL: a
    table lock that conflicts with any uncommitted insert into ``webhook_event``.
    """
    with config.db.engine.connect() as other:
        if other.dialect.name == "sqlite":
            other.exec_driver_sql("PRAGMA busy_timeout = 200")
            other.exec_driver_sql("UPDATE webhook_schema SET version = version")
        else:
            other.exec_driver_sql("SET lock_timeout = '200ms'")
            other.exec_driver_sql("LOCK TABLE webhook_event IN SHARE MODE")
        other.rollback()


def _committed_event_names() -> list[str]:
    with config.db.engine.connect() as other:
        return list(other.execute(select(WebhookEvent.name)).scalars())


def test_event_outside_a_transaction_commits_at_once_and_holds_no_lock(configure):
    # config.push/pop fire ConfigurationUpdatedEvent, here after Mailman committed.
    configure(endpoint_cfg("all", URL, events="ConfigurationUpdatedEvent"))
    config.db.commit()
    config.push("outside", "[mailman]\nsite_owner: outside@example.com\n")
    config.pop("outside")
    _other_connection_writes()
    assert not config.db.store.in_transaction()
    assert _committed_event_names() == ["ConfigurationUpdatedEvent"] * 2


def test_database_error_in_capture_undoes_that_event_only(configure, monkeypatch, caplog):
    # The first event's row breaks a NOT NULL constraint in the database, so the INSERT of
    # the transaction's events fails: that row is lost, Mailman's operation commits, and
    # the next event of the same transaction is recorded.
    configure(endpoint_cfg("lists", URL, events="List.*Event"))
    new_row = WebhookEvent.new_row
    calls = []

    def broken_first(name, created, payload, **columns):
        calls.append(name)
        return new_row(name, None if len(calls) == 1 else created, payload, **columns)

    monkeypatch.setattr(WebhookEvent, "new_row", staticmethod(broken_first))
    with transaction():
        create_list("dberror@example.com")
    assert getUtility(IListManager).get("dberror@example.com") is not None
    assert [event.name for event in events()] == ["ListCreatedEvent"]
    assert [d.event.name for d in deliveries()] == ["ListCreatedEvent"]
    assert "event ListCreatingEvent not recorded (IntegrityError)" in caplog.text


def test_database_error_alone_in_its_transaction_loses_that_event(configure, monkeypatch,
                                                                  caplog):
    configure(endpoint_cfg("domains", URL, events="DomainCreatedEvent"))
    monkeypatch.setattr(WebhookEvent, "new_row", staticmethod(
        lambda name, created, payload, **columns: dict(
            id=uuid.uuid4(), name=name, created=None, payload=payload, **columns)))
    add_domain("alone.example.org")
    assert events() == []
    assert "event DomainCreatedEvent not recorded (IntegrityError)" in caplog.text


def test_rows_vanish_with_a_transaction_that_had_written_nothing_before(configure):
    # On SQLite the savepoint must not be the transaction's outermost one, whose
    # RELEASE would commit the rows before Mailman decided.
    configure(endpoint_cfg("all", URL))
    config.db.commit()
    config.db.store.execute(select(WebhookEvent.sequence)).all()  # read only: no BEGIN
    create_list("fresh@example.com")
    config.db.abort()
    assert _committed_event_names() == []


def test_a_transaction_keeps_a_bounded_number_of_events_and_still_rolls_back(configure,
                                                                            monkeypatch):
    # With many events, WRITE_AT of them are written in the transaction as they come;
    # they still vanish with Mailman's rollback.
    configure(endpoint_cfg("lists", URL, events="List.*Event"))
    monkeypatch.setattr(capture_module, "WRITE_AT", 2)
    create_list("many@example.com")  # ListCreatingEvent, ListCreatedEvent
    assert capture_module.WAITING not in config.db.store.info
    written = config.db.store.execute(select(WebhookEvent.name)).scalars().all()
    assert written == ["ListCreatingEvent", "ListCreatedEvent"]
    config.db.abort()
    assert _committed_event_names() == []
