# Test that the plugin creates its missing tables and keeps its own schema version.

import pytest
from mailman.config import config
from sqlalchemy import inspect

from mailman_pgp.model import (
    SCHEMA_VERSION,
    PGPAddressKey,
    PGPSchemaVersion,
    SchemaError,
    ensure_schema,
)


def table_names() -> set[str]:
    return set(inspect(config.db.engine).get_table_names())


def test_a_missing_table_is_created(mailman):
    config.db.commit()
    PGPAddressKey.__table__.drop(config.db.engine)
    assert "pgp_address_key" not in table_names()
    before = table_names()
    assert ensure_schema() == SCHEMA_VERSION
    assert table_names() - before == {"pgp_address_key"}


def test_the_version_is_recorded_in_the_plugins_own_table(mailman):
    ensure_schema()
    assert [row.version for row in config.db.store.query(PGPSchemaVersion)] == [SCHEMA_VERSION]


def test_running_again_changes_nothing(mailman):
    ensure_schema()
    before = table_names()
    assert ensure_schema() == SCHEMA_VERSION
    assert table_names() == before
    assert config.db.store.query(PGPSchemaVersion).count() == 1


def test_a_newer_schema_than_the_code_is_refused(mailman):
    ensure_schema()
    config.db.store.query(PGPSchemaVersion).one().version = SCHEMA_VERSION + 1
    config.db.commit()
    with pytest.raises(SchemaError, match="upgrade the plugin"):
        ensure_schema()
