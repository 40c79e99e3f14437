"""The plugin's tables in Mailman's database, and the plugin's own schema version.

Mailman runs ``create_all`` only on a database without an alembic revision, so on
an existing installation the plugin creates its tables itself. It records its
schema version in a table of its own and never touches Mailman's
``alembic_version``.
"""

import logging
import os
from collections.abc import Callable

from flufl.lock import Lock
from mailman.config import config
from mailman.database.model import Model
from public import public
from sqlalchemy import Column, Integer, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mailman_pgp.errors import PGPError
from mailman_pgp.model.address_key import PGPAddressKey
from mailman_pgp.model.pgp_list import PGPMailingList

log = logging.getLogger("mailman.plugins")

# Raise this, and add a step to MIGRATIONS, whenever a table of the plugin changes.
SCHEMA_VERSION = 1


@public
class PGPSchemaVersion(Model):
    """The one row saying which version of the plugin's schema the database holds."""

    __tablename__ = "pgp_schema_version"

    id = Column(Integer, primary_key=True)
    version = Column(Integer, nullable=False)


TABLES = [PGPSchemaVersion.__table__, PGPMailingList.__table__, PGPAddressKey.__table__]

# version -> step bringing the database from that version to the next one.
MIGRATIONS: dict[int, Callable[[Session], None]] = {}


@public
class SchemaError(PGPError):
    """The database holds a schema of the plugin that this version cannot use."""


@public
def ensure_schema() -> int:
    """Create the plugin's missing tables and bring its schema up to `SCHEMA_VERSION`.

    Safe to run in every process at every start: it holds Mailman's own database
    creation lock while it works. Returns the schema version the database holds.
    """
    with Lock(os.path.join(config.LOCK_DIR, "dbcreate.lck")):
        missing = _missing_tables()
        if missing:
            try:
                Model.metadata.create_all(config.db.engine, tables=missing, checkfirst=True)
            except SQLAlchemyError:
                # Another host sharing the database may have created them first.
                config.db.abort()
                if _missing_tables():
                    raise
            log.info("PGP plugin: created tables %s", ", ".join(t.name for t in missing))
        version = _upgrade()
        config.db.commit()
        return version


def _missing_tables() -> list:
    present = set(inspect(config.db.engine).get_table_names())
    return [table for table in TABLES if table.name not in present]


def _upgrade() -> int:
    store = config.db.store
    row = store.query(PGPSchemaVersion).one_or_none()
    if row is None:
        store.add(PGPSchemaVersion(version=SCHEMA_VERSION))
        return SCHEMA_VERSION
    if row.version > SCHEMA_VERSION:
        raise SchemaError(
            f"The database holds PGP plugin schema version {row.version}, newer than "
            f"this plugin's {SCHEMA_VERSION}; upgrade the plugin."
        )
    while row.version < SCHEMA_VERSION:
        MIGRATIONS[row.version](store)
        row.version += 1
        log.info("PGP plugin: upgraded its schema to version %d", row.version)
    return row.version
