"""The plugin's tables in Mailman's database, and the plugin's own schema version.

Created and migrated the way every plugin of this project does it
(`mailman_plugin_kit.schema`); the version lives in ``webhook_schema``, never in
Mailman's ``alembic_version``.
"""

from __future__ import annotations

from collections.abc import Callable

from public import public
from sqlalchemy import Column, Integer, MetaData, Table
from sqlalchemy.engine import Connection, Engine

from mailman_plugin_kit.schema import PluginSchema
from mailman_plugin_kit.schema import ensure_schema as ensure_plugin_schema
from mailman_webhooks.configuration import PLUGIN
from mailman_webhooks.model import TABLES

# Raise this, and add a step to MIGRATIONS, whenever a table of the plugin changes.
SCHEMA_VERSION = 1

# version -> step bringing the database from that version to the next one.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

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
