"""The PGP plugin's tables in Mailman's database, and the plugin's own schema version.

Created and migrated the way every plugin of this project does it
(`mailman_plugin_kit.schema`); the version lives in ``pgp_schema_version``, never in
Mailman's ``alembic_version``.
"""

from collections.abc import Callable

from mailman.config import config
from public import public
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text
from sqlalchemy.engine import Connection

from mailman_pgp.model.address_key import PGPAddressKey
from mailman_pgp.model.archive_key import PGPArchiveKey
from mailman_pgp.model.pgp_list import PGPMailingList
from mailman_pgp.model.seen_signature import PGPSeenSignature
from mailman_pgp.model.withheld_notice import PGPWithheldNotice
from mailman_plugin_kit.schema import PluginSchema
from mailman_plugin_kit.schema import ensure_schema as ensure_plugin_schema

# Raise this, and add a step to MIGRATIONS, whenever a table of the plugin changes.
SCHEMA_VERSION = 3


def _add_key_signers(connection: Connection) -> None:
    """Version 1 to 2: who may certify a list's key (``pgp_mailinglist.key_signers``).

    Existing lists get the default, owners and moderators. Written out as it was at
    version 2, not read from the model, so that the step stays what it was. A table that
    does not exist yet is left to the final create_all.
    """
    tables = inspect(connection)
    if not tables.has_table("pgp_mailinglist"):
        return
    if "key_signers" in {column["name"] for column in tables.get_columns("pgp_mailinglist")}:
        return
    connection.execute(text(
        "ALTER TABLE pgp_mailinglist"
        " ADD COLUMN key_signers VARCHAR(16) DEFAULT 'administrators' NOT NULL"))


# The columns version 3 added, as it added them.
_POLICY_COLUMNS_V3 = (
    "unencrypted_action VARCHAR(16) DEFAULT 'reject' NOT NULL",
    "unsigned_action VARCHAR(16) DEFAULT 'reject' NOT NULL",
    "bad_signature_action VARCHAR(16) DEFAULT 'reject' NOT NULL",
    "expired_key_action VARCHAR(16) DEFAULT 'reject' NOT NULL",
    "revoked_key_action VARCHAR(16) DEFAULT 'reject' NOT NULL",
    "unknown_key_action VARCHAR(16) DEFAULT 'reject' NOT NULL",
    "inline_pgp_action VARCHAR(16) DEFAULT 'accept' NOT NULL",
    "replay_action VARCHAR(16) DEFAULT 'reject' NOT NULL",
    "sign_outgoing BOOLEAN DEFAULT true NOT NULL",
    "strip_sender_signature BOOLEAN DEFAULT false NOT NULL",
    "protect_headers BOOLEAN DEFAULT true NOT NULL",
    "autocrypt BOOLEAN DEFAULT true NOT NULL",
    "archive_plaintext BOOLEAN DEFAULT false NOT NULL",
)


def _add_policy_settings(connection: Connection) -> None:
    """Version 2 to 3: the per-list policy actions and switches on ``pgp_mailinglist``.

    Existing lists get the defaults (every case rejected but inline PGP; copies signed,
    headers protected, Autocrypt on, the sender's signature kept, no plaintext archive).
    Written out as at version 3, one ALTER per column (SQLite adds one at a time).
    """
    tables = inspect(connection)
    if not tables.has_table("pgp_mailinglist"):
        return
    present = {column["name"] for column in tables.get_columns("pgp_mailinglist")}
    for definition in _POLICY_COLUMNS_V3:
        if definition.split()[0] not in present:
            connection.execute(text(f"ALTER TABLE pgp_mailinglist ADD COLUMN {definition}"))


# version -> step bringing the database from that version to the next one.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _add_key_signers,
    2: _add_policy_settings,
}

# "pgph": serializes the start-ups of all hosts sharing one PostgreSQL database.
LOCK_KEY = 0x70677068

schema_version_table = Table(
    "pgp_schema_version",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

TABLES = [PGPMailingList.__table__, PGPAddressKey.__table__, PGPArchiveKey.__table__,
          PGPSeenSignature.__table__, PGPWithheldNotice.__table__]


@public
def pgp_schema() -> PluginSchema:
    """The plugin's tables, version and migrations, as they are now."""
    return PluginSchema("PGP", schema_version_table, TABLES, SCHEMA_VERSION, LOCK_KEY,
                        MIGRATIONS)


@public
def ensure_schema() -> int:
    """Create the plugin's missing tables and migrate them to `SCHEMA_VERSION`.

    Safe to run in every process of every host at every start. Returns the version
    the database holds; raises `SchemaTooNew` for a database ahead of the plugin.
    """
    return ensure_plugin_schema(config.db.engine, pgp_schema())
