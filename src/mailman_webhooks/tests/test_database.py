# Test that the plugin creates and migrates its own tables on an existing Mailman database
# (through mailman_plugin_kit.schema), keeps its schema version in its own webhook_schema table,
# keeps the outbox's rows through a migration, and never touches Mailman's alembic_version.

from __future__ import annotations

import pytest
from mailman.config import config
from sqlalchemy import inspect, select, text, update

from mailman_plugin_kit.schema import SchemaTooNew
from mailman_webhooks import database
from mailman_webhooks.model import TABLES
from mailman_webhooks.model.delivery import CLAIMED_INDEX, ENDPOINT_DUE_INDEX
from mailman_webhooks.model.event import FANOUT_INDEX
from mailman_webhooks.tests.conftest import endpoint_cfg
from mailman_webhooks.tests.helpers import add_domain, deliveries, fan_out, index_definition

pytestmark = pytest.mark.mailman

OUR_TABLES = {"webhook_event", "webhook_delivery", "webhook_attempt", "webhook_endpoint_state"}


def table_names() -> set[str]:
    return set(inspect(config.db.engine).get_table_names())


def version() -> int | None:
    with config.db.engine.connect() as connection:
        return connection.execute(select(database.schema_table.c.version)).scalar()


def alembic_revision() -> str | None:
    """Mailman's migration state; its testing database is not stamped at all."""
    if "alembic_version" not in table_names():
        return "no alembic_version table"
    with config.db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@pytest.fixture
def bare_database(mailman):
    """Mailman's database as an installation has it before the plugin was enabled."""
    config.db.store.close()
    with config.db.engine.begin() as connection:
        for table in reversed(TABLES):
            table.drop(connection)
        database.schema_table.drop(connection)
    yield
    database.ensure_schema(config.db.engine)


def test_tables_exist_at_current_version(mailman):
    assert OUR_TABLES <= table_names()
    assert version() == database.SCHEMA_VERSION


def test_existing_installation_gets_tables_and_version(bare_database):
    before = alembic_revision()
    assert not OUR_TABLES & table_names()
    assert database.ensure_schema(config.db.engine) == database.SCHEMA_VERSION
    assert OUR_TABLES | {"webhook_schema"} <= table_names()
    assert version() == database.SCHEMA_VERSION
    assert alembic_revision() == before


def test_running_twice_changes_nothing(mailman):
    database.ensure_schema(config.db.engine)
    database.ensure_schema(config.db.engine)
    with config.db.engine.connect() as connection:
        rows = connection.execute(select(database.schema_table.c.version)).all()
    assert rows == [(database.SCHEMA_VERSION,)]


def test_migration_steps_run_in_order(configure, monkeypatch):
    # Today's outbox with a captured event in it; then a plugin two versions ahead whose
    # steps add a column to webhook_delivery and fill it from the rows there.
    configure(endpoint_cfg("crm", "http://127.0.0.1:9/unused", events="DomainCreatedEvent"))
    add_domain("migrated.example.org")
    config.db.commit()
    today = database.SCHEMA_VERSION
    ran = []

    def add_column(connection):
        ran.append("to next")
        connection.execute(text("ALTER TABLE webhook_delivery ADD COLUMN note VARCHAR(20)"))

    def fill_column(connection):
        ran.append("to last")
        connection.execute(text("UPDATE webhook_delivery SET note = endpoint"))

    monkeypatch.setattr(database, "MIGRATIONS", {today: add_column, today + 1: fill_column})
    monkeypatch.setattr(database, "SCHEMA_VERSION", today + 2)
    try:
        assert database.ensure_schema(config.db.engine) == database.SCHEMA_VERSION
        assert ran == ["to next", "to last"]
        assert version() == database.SCHEMA_VERSION
        with config.db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT e.name, d.endpoint, d.status, d.note FROM webhook_delivery d "
                "JOIN webhook_event e ON e.sequence = d.event_sequence")).all()
        assert [tuple(row) for row in rows] == [("DomainCreatedEvent", "crm", "pending", "crm")]
        # At the new version no step runs again.
        assert database.ensure_schema(config.db.engine) == database.SCHEMA_VERSION
        assert ran == ["to next", "to last"]
    finally:
        with config.db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE webhook_delivery DROP COLUMN note"))
            connection.execute(update(database.schema_table).values(version=today))


def test_newer_schema_is_refused(mailman):
    with config.db.engine.begin() as connection:
        connection.execute(update(database.schema_table).values(version=999))
    try:
        with pytest.raises(SchemaTooNew, match="version 999"):
            database.ensure_schema(config.db.engine)
    finally:
        with config.db.engine.begin() as connection:
            connection.execute(
                update(database.schema_table).values(version=database.SCHEMA_VERSION)
            )


def test_version_1_gets_health_counters_and_retry_from(configure):
    # A version-1 outbox (the columns of version 2 dropped) holding a delivery and an
    # endpoint state: the step adds the columns and starts each retry period at `created`.
    configure(endpoint_cfg("crm", "http://127.0.0.1:9/unused", events="DomainCreatedEvent"))
    add_domain("old.example.org")
    config.db.commit()
    added = {
        "webhook_endpoint_state": ["last_success_at", "last_failure_at", "failed_attempts",
                                   "last_error"],
        "webhook_delivery": ["retry_from"],
    }
    with config.db.engine.begin() as connection:
        # The indexes as at version 1 (later ones read retry_from, which it lacks).
        for index in ("ix_webhook_delivery_endpoint_due", "ix_webhook_delivery_expiry",
                      "ix_webhook_delivery_finished"):
            connection.execute(text(f"DROP INDEX {index}"))
        connection.execute(text(
            "CREATE INDEX ix_webhook_delivery_due ON webhook_delivery (status, next_attempt_at)"))
        for table, columns in added.items():
            for column in columns:
                connection.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        connection.execute(text(
            "INSERT INTO webhook_endpoint_state (name, disabled, failures) "
            "VALUES ('crm', false, 2)"))
        connection.execute(update(database.schema_table).values(version=1))
    assert database.ensure_schema(config.db.engine) == database.SCHEMA_VERSION
    columns = {table: {c["name"] for c in inspect(config.db.engine).get_columns(table)}
               for table in added}
    for table, names in added.items():
        assert set(names) <= columns[table]
    with config.db.engine.connect() as connection:
        deliveries = connection.execute(text(
            "SELECT created, retry_from FROM webhook_delivery")).all()
        states = connection.execute(text(
            "SELECT name, failures, failed_attempts, last_success_at, last_error "
            "FROM webhook_endpoint_state")).all()
    assert len(deliveries) == 1 and deliveries[0][0] == deliveries[0][1]
    assert [tuple(row) for row in states] == [("crm", 2, 0, None, None)]


def delivery_indexes() -> set[str]:
    return {index["name"] for index in inspect(config.db.engine).get_indexes("webhook_delivery")}


def test_version_4_loses_the_indexes_capture_paid_for_nothing(configure):
    # A version-4 outbox: an index on endpoint alone, and one on claimed_by for every row.
    configure(endpoint_cfg("crm", "http://127.0.0.1:9/unused", events="DomainCreatedEvent"))
    add_domain("four.example.org")
    config.db.commit()
    with config.db.engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {CLAIMED_INDEX}"))
        connection.execute(text(
            "CREATE INDEX ix_webhook_delivery_endpoint ON webhook_delivery (endpoint)"))
        connection.execute(text(
            "CREATE INDEX ix_webhook_delivery_claim ON webhook_delivery (claimed_by)"))
        connection.execute(update(database.schema_table).values(version=4))
    assert database.ensure_schema(config.db.engine) == database.SCHEMA_VERSION
    indexes = delivery_indexes()
    assert not {"ix_webhook_delivery_endpoint", "ix_webhook_delivery_claim"} & indexes
    assert {CLAIMED_INDEX, ENDPOINT_DUE_INDEX} <= indexes
    assert "claimed_by IS NOT NULL" in index_definition(CLAIMED_INDEX)


def test_a_new_outbox_has_the_indexes_of_a_migrated_one(mailman):
    # create_all (a new installation) and the migrations must agree.
    assert "ix_webhook_delivery_endpoint" not in delivery_indexes()
    assert "claimed_by IS NOT NULL" in index_definition(CLAIMED_INDEX)
    assert "NOT fanned_out" in index_definition(FANOUT_INDEX)


def test_version_5_marks_the_events_there_fanned_out(configure):
    # A version-5 outbox: events without the marker; capture made their deliveries.
    configure(endpoint_cfg("crm", "http://127.0.0.1:9/unused", events="DomainCreatedEvent"))
    add_domain("five.example.org")
    config.db.commit()
    with config.db.engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {FANOUT_INDEX}"))
        connection.execute(text("ALTER TABLE webhook_event DROP COLUMN fanned_out"))
        connection.execute(update(database.schema_table).values(version=5))
    assert database.ensure_schema(config.db.engine) == database.SCHEMA_VERSION
    with config.db.engine.connect() as connection:
        marks = connection.execute(text("SELECT name, fanned_out FROM webhook_event")).all()
    assert [(name, bool(mark)) for name, mark in marks] == [("DomainCreatedEvent", True)]
    assert "NOT fanned_out" in index_definition(FANOUT_INDEX)
    # Nothing is fanned out again: the event keeps its one delivery.
    assert fan_out().events == 0
    assert len(deliveries()) == 1
