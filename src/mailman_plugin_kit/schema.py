"""Creating and migrating a plugin's tables in Mailman's database, one way for every plugin.

Mailman runs ``create_all`` only on a database without an alembic revision, so on an
existing installation a plugin creates its own tables. Its schema version lives in a table
of its own, never in Mailman's ``alembic_version``, and that table is not on Mailman's
``Model.metadata`` (Mailman's test layers empty every table there between tests).

Every process of every Mailman host sharing the database runs this at start. On
PostgreSQL a transaction-scoped advisory lock serializes them across hosts; on SQLite
(one host) the database's own write lock does, and a process that lost a race to
create a table finds it in place on a second try.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from public import public
from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError


@public
class SchemaTooNew(Exception):
    """The database holds a newer schema of the plugin than the installed plugin knows."""


@public
@dataclass(frozen=True)
class PluginSchema:
    """What a plugin keeps in Mailman's database, and how to bring it up to date.

    ``version_table`` has an integer ``version`` column and holds at most one row.
    ``migrations[n]`` brings the tables from version ``n`` to ``n + 1``, inside the
    transaction that records the new version; tables added without a step are created
    by the final ``create_all``. ``lock_key`` is the PostgreSQL advisory lock that
    serializes start-ups; pick one no other plugin uses.
    """

    plugin: str
    version_table: Table
    tables: Sequence[Table]
    version: int
    lock_key: int
    migrations: Mapping[int, Callable[[Connection], None]] = field(default_factory=dict)


@public
def ensure_schema(engine: Engine, schema: PluginSchema) -> int:
    """Create or migrate ``schema``'s tables; return the version now in place.

    Raises `SchemaTooNew` when the database is ahead of the plugin.
    """
    for attempt in (1, 2):
        try:
            with engine.begin() as connection:
                return _ensure(connection, schema)
        except (OperationalError, ProgrammingError):
            # Another process created a table between our check and our CREATE.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _ensure(connection: Connection, schema: PluginSchema) -> int:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": schema.lock_key})
    schema.version_table.create(connection, checkfirst=True)
    version_column = schema.version_table.c.version
    version: int | None = connection.execute(select(version_column)).scalar()
    if version is None:
        _create_tables(connection, schema)
        connection.execute(insert(schema.version_table).values(version=schema.version))
        return schema.version
    if version > schema.version:
        raise SchemaTooNew(
            f"the database holds the {schema.plugin} plugin's schema version {version}, "
            f"newer than this plugin's {schema.version}; install the newer plugin")
    while version < schema.version:
        schema.migrations[version](connection)
        version += 1
        connection.execute(update(schema.version_table).values(version=version))
    _create_tables(connection, schema)
    return version


def _create_tables(connection: Connection, schema: PluginSchema) -> None:
    for table in schema.tables:
        table.create(connection, checkfirst=True)
