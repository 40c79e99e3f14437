# Test that the plugin creates and migrates its own tables on an existing Mailman database,
# keeps its schema version in its own table and never touches Mailman's alembic_version.

from __future__ import annotations

import pytest
from mailman.config import config
from sqlalchemy import inspect, select, text, update

from mailman_webhooks import database
from mailman_webhooks.model import TABLES

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


def test_migration_steps_run_in_order(mailman, monkeypatch):
    ran = []
    steps = {
        database.SCHEMA_VERSION: lambda connection: ran.append("to next"),
        database.SCHEMA_VERSION + 1: lambda connection: ran.append("to last"),
    }
    monkeypatch.setattr(database, "MIGRATIONS", steps)
    monkeypatch.setattr(database, "SCHEMA_VERSION", database.SCHEMA_VERSION + 2)
    try:
        assert database.ensure_schema(config.db.engine) == database.SCHEMA_VERSION
        assert ran == ["to next", "to last"]
        assert version() == database.SCHEMA_VERSION
    finally:
        with config.db.engine.begin() as connection:
            connection.execute(update(database.schema_table).values(version=1))


def test_newer_schema_is_refused(mailman):
    with config.db.engine.begin() as connection:
        connection.execute(update(database.schema_table).values(version=999))
    try:
        with pytest.raises(database.SchemaTooNewError, match="version 999"):
            database.ensure_schema(config.db.engine)
    finally:
        with config.db.engine.begin() as connection:
            connection.execute(
                update(database.schema_table).values(version=database.SCHEMA_VERSION)
            )
