"""The plugin's tables in Mailman's database, and the plugin's own schema version.

Created and migrated the way every plugin of this project does it
(`mailman_plugin_kit.schema`); the version lives in ``webhook_schema``, never in
Mailman's ``alembic_version``.
"""

from __future__ import annotations

from collections.abc import Callable

from public import public
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text
from sqlalchemy.engine import Connection, Engine

from mailman_plugin_kit.schema import PluginSchema
from mailman_plugin_kit.schema import ensure_schema as ensure_plugin_schema
from mailman_webhooks.configuration import PLUGIN
from mailman_webhooks.model import TABLES

# Raise this, and add a step to MIGRATIONS, whenever a table of the plugin changes.
SCHEMA_VERSION = 6


def _add_health_and_retry_from(connection: Connection) -> None:
    """Version 1 to 2: health counters of endpoints, and the start of a retry period.

    ``webhook_endpoint_state`` gets the counters REST reads instead of the attempts table
    (existing endpoints start with none); ``webhook_delivery.retry_from`` takes over from
    ``created`` as the start of the retry period, so that a redelivery keeps its creation
    time. Written out as at version 2, not read from the models, so that the step stays
    what it was; tables that do not exist yet are left to the final create_all.
    """
    tables = inspect(connection)
    postgresql = connection.dialect.name == "postgresql"
    timestamp = "TIMESTAMP WITHOUT TIME ZONE" if postgresql else "DATETIME"
    if tables.has_table("webhook_endpoint_state"):
        for column in (
            f"last_success_at {timestamp}",
            f"last_failure_at {timestamp}",
            "failed_attempts INTEGER DEFAULT 0 NOT NULL",
            "last_error VARCHAR",
        ):
            connection.execute(text(f"ALTER TABLE webhook_endpoint_state ADD COLUMN {column}"))
    if tables.has_table("webhook_delivery"):
        # NOT NULL needs a default for the rows there; each gets its own value at once.
        connection.execute(text(
            f"ALTER TABLE webhook_delivery ADD COLUMN retry_from {timestamp}"
            " DEFAULT '1970-01-01 00:00:00' NOT NULL"
        ))
        connection.execute(text("UPDATE webhook_delivery SET retry_from = created"))


def _add_endpoint_due_index(connection: Connection) -> None:
    """Version 2 to 3: the index a runner claims an endpoint's due deliveries by.

    Written out as at version 3; a table that does not exist yet gets it from create_all.
    """
    if inspect(connection).has_table("webhook_delivery"):
        connection.execute(text(
            "CREATE INDEX IF NOT EXISTS ix_webhook_delivery_endpoint_due"
            " ON webhook_delivery (endpoint, status, next_attempt_at, id)"
        ))


def _add_retention_indexes(connection: Connection) -> None:
    """Version 3 to 4: the indexes the retention sweep reads, instead of the old due index.

    Pending deliveries by the start of their retry period (expiry), finished ones by when
    they finished (pruning; pending rows have no entry). The index on (status,
    next_attempt_at) served the claim before it went per endpoint (version 3); its
    ``status`` prefix lives on in the first new one. Written out as at version 4.
    """
    if inspect(connection).has_table("webhook_delivery"):
        for statement in (
            "DROP INDEX IF EXISTS ix_webhook_delivery_due",
            "CREATE INDEX IF NOT EXISTS ix_webhook_delivery_expiry"
            " ON webhook_delivery (status, retry_from)",
            "CREATE INDEX IF NOT EXISTS ix_webhook_delivery_finished"
            " ON webhook_delivery (finished_at) WHERE finished_at IS NOT NULL",
        ):
            connection.execute(text(statement))


def _lighten_delivery_indexes(connection: Connection) -> None:
    """Version 4 to 5: two indexes fewer for capture to write with each delivery.

    The index on ``endpoint`` alone repeated the first column of the (endpoint, status,
    next_attempt_at, id) index, which serves every query it did. The index on
    ``claimed_by`` becomes partial: only rows a runner holds have an entry, and a
    runner's lookup by its token (``claimed_by = token``) still uses it. Written out as
    at version 5.
    """
    if inspect(connection).has_table("webhook_delivery"):
        for statement in (
            "DROP INDEX IF EXISTS ix_webhook_delivery_endpoint",
            "DROP INDEX IF EXISTS ix_webhook_delivery_claim",
            "CREATE INDEX IF NOT EXISTS ix_webhook_delivery_claimed"
            " ON webhook_delivery (claimed_by) WHERE claimed_by IS NOT NULL",
        ):
            connection.execute(text(statement))


def _add_fanout_marker(connection: Connection) -> None:
    """Version 5 to 6: capture writes the event only; the runner fans it out.

    ``webhook_event.fanned_out`` says whether the event's deliveries were made; the
    events there have theirs already (capture made them), so they start fanned out. The
    partial index holds the events still to fan out only. Written out as at version 6.
    """
    tables = inspect(connection)
    if not tables.has_table("webhook_event"):
        return
    if "fanned_out" not in {column["name"] for column in tables.get_columns("webhook_event")}:
        true = "TRUE" if connection.dialect.name == "postgresql" else "1"
        connection.execute(text(
            f"ALTER TABLE webhook_event ADD COLUMN fanned_out BOOLEAN DEFAULT {true} NOT NULL"))
    connection.execute(text(
        "CREATE INDEX IF NOT EXISTS ix_webhook_event_fanout"
        " ON webhook_event (sequence) WHERE NOT fanned_out"))


# version -> step bringing the database from that version to the next one.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _add_health_and_retry_from,
    2: _add_endpoint_due_index,
    3: _add_retention_indexes,
    4: _lighten_delivery_indexes,
    5: _add_fanout_marker,
}

# "webh": serializes the start-ups of all hosts sharing one PostgreSQL database.
LOCK_KEY = 0x77656268

schema_table = Table("webhook_schema", MetaData(), Column("version", Integer, nullable=False))


@public
def webhooks_schema() -> PluginSchema:
    """The plugin's tables, version and migrations, as they are now."""
    return PluginSchema(PLUGIN, schema_table, TABLES, SCHEMA_VERSION, LOCK_KEY, MIGRATIONS)


@public
def ensure_schema(engine: Engine) -> int:
    """Create the plugin's missing tables and migrate them to `SCHEMA_VERSION`.

    Safe to run in every process of every host at every start. Returns the version
    the database holds; raises `SchemaTooNew` for a database ahead of the plugin.
    """
    return ensure_plugin_schema(engine, webhooks_schema())
