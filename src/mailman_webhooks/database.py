"""Creating and migrating the plugin's tables in Mailman's database.

Mailman runs ``create_all`` only on a database without an alembic revision, so on
an existing installation the plugin creates its own tables. Its schema version is
kept in its own table, ``webhook_schema``, never in Mailman's ``alembic_version``.
That table is deliberately not on Mailman's ``Model.metadata``: Mailman's test
layers empty every table there between tests.
"""

from __future__ import annotations

from collections.abc import Callable

from public import public
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from mailman_webhooks.errors import WebhooksError
from mailman_webhooks.model import TABLES

SCHEMA_VERSION = 1

# Steps from version N to N + 1, keyed by N. A step receives a connection inside
# the transaction that also records the new version.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

_ADVISORY_LOCK = 0x77656268  # "webh": serializes concurrent start-ups on PostgreSQL.

_metadata = MetaData()
schema_table = Table("webhook_schema", _metadata, Column("version", Integer, nullable=False))


@public
class SchemaTooNewError(WebhooksError):
    """The database was migrated by a newer version of the plugin."""


def _current_version(connection: Connection) -> int | None:
    return connection.execute(select(schema_table.c.version)).scalar()


def _ensure(connection: Connection) -> int:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    _metadata.create_all(connection, checkfirst=True)
    version = _current_version(connection)
    if version is None:
        TABLES[0].metadata.create_all(connection, tables=TABLES, checkfirst=True)
        connection.execute(insert(schema_table).values(version=SCHEMA_VERSION))
        return SCHEMA_VERSION
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"the webhooks tables are at schema version {version}, newer than this "
            f"plugin's {SCHEMA_VERSION}; install the newer plugin"
        )
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](connection)
        version += 1
        connection.execute(update(schema_table).values(version=version))
    # Tables added without a migration step (none yet) and a fresh database that
    # Mailman's own create_all already populated are both covered here.
    TABLES[0].metadata.create_all(connection, tables=TABLES, checkfirst=True)
    return version


@public
def ensure_schema(engine: Engine) -> int:
    """Create or migrate the plugin's tables; return the schema version now in place.

    Several Mailman processes start at once; if another one created a table
    between our check and our CREATE, the second round finds it in place.
    """
    for round_ in (1, 2):
        try:
            with engine.begin() as connection:
                return _ensure(connection)
        except (OperationalError, ProgrammingError):
            if round_ == 2:
                raise
    raise AssertionError("unreachable")
