# Test that the plugin creates its missing tables, keeps its own schema version, refuses a newer
# one, migrates a database made by today's schema through its migration steps, and brings a
# version-1 database holding a PGP list to version 2 (who may certify the list's key) and a
# version-2 one to version 3 (the per-list policy settings, existing lists getting the defaults).

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.action import Action
from sqlalchemy import inspect, select, text, update
from zope.component import getUtility

from mailman_pgp.interfaces.lists import IPGPListManager, KeySigners, PolicyCase
from mailman_pgp.model import SCHEMA_VERSION, PGPAddressKey, ensure_schema, schema
from mailman_pgp.openpgp import load_certificate
from mailman_pgp.openpgp.tests.key_files import key_data
from mailman_plugin_kit.schema import SchemaTooNew


def table_names() -> set[str]:
    return set(inspect(config.db.engine).get_table_names())


def columns(table: str) -> set[str]:
    return {column["name"] for column in inspect(config.db.engine).get_columns(table)}


def versions() -> list[int]:
    with config.db.engine.connect() as connection:
        return list(connection.execute(select(schema.schema_version_table.c.version)).scalars())


def set_version(version: int) -> None:
    with config.db.engine.begin() as connection:
        connection.execute(update(schema.schema_version_table).values(version=version))


def test_a_missing_table_is_created(mailman):
    config.db.commit()
    PGPAddressKey.__table__.drop(config.db.engine)
    assert "pgp_address_key" not in table_names()
    before = table_names()
    assert ensure_schema() == SCHEMA_VERSION
    assert table_names() - before == {"pgp_address_key"}


def test_the_version_is_recorded_in_the_plugins_own_table(mailman):
    ensure_schema()
    assert versions() == [SCHEMA_VERSION]
    assert "alembic_version" not in {table.name for table in schema.TABLES}


def test_running_again_changes_nothing(mailman):
    ensure_schema()
    before = table_names()
    assert ensure_schema() == SCHEMA_VERSION
    assert table_names() == before
    assert versions() == [SCHEMA_VERSION]


def test_a_newer_schema_than_the_code_is_refused(mailman):
    ensure_schema()
    set_version(SCHEMA_VERSION + 1)
    try:
        with pytest.raises(SchemaTooNew, match="install the newer plugin"):
            ensure_schema()
    finally:
        set_version(SCHEMA_VERSION)


def test_a_database_of_todays_schema_is_migrated_step_by_step(mailman, monkeypatch):
    # Today's schema with a key in it; then a plugin two versions ahead whose steps add
    # a column and fill it from the rows there.
    from mailman_pgp.app.keys import set_address_key

    ensure_schema()
    with transaction():
        set_address_key("alice@example.com", key_data("alice_cv25519.pub.asc"), confirmed=True)
    fingerprint = load_certificate(key_data("alice_cv25519.pub.asc")).fingerprint
    ran = []

    def add_column(connection):
        ran.append(SCHEMA_VERSION)
        connection.execute(text("ALTER TABLE pgp_address_key ADD COLUMN note VARCHAR(80)"))

    def fill_column(connection):
        ran.append(SCHEMA_VERSION + 1)
        connection.execute(text("UPDATE pgp_address_key SET note = 'migrated'"))

    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 2)
    monkeypatch.setattr(schema, "MIGRATIONS", {SCHEMA_VERSION: add_column,
                                               SCHEMA_VERSION + 1: fill_column})
    config.db.commit()
    try:
        assert ensure_schema() == SCHEMA_VERSION + 2
        assert ran == [SCHEMA_VERSION, SCHEMA_VERSION + 1]
        assert versions() == [SCHEMA_VERSION + 2]
        with config.db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT email, fingerprint, note FROM pgp_address_key")).all()
        assert [tuple(row) for row in rows] == [("alice@example.com", fingerprint, "migrated")]
        # Run again at the new version: no step runs twice.
        assert ensure_schema() == SCHEMA_VERSION + 2
        assert ran == [SCHEMA_VERSION, SCHEMA_VERSION + 1]
    finally:
        with config.db.engine.begin() as connection:
            connection.execute(text("DELETE FROM pgp_address_key"))
            connection.execute(text("ALTER TABLE pgp_address_key DROP COLUMN note"))
        set_version(SCHEMA_VERSION)
    assert "note" not in columns("pgp_address_key")


def test_a_version_1_database_holding_a_pgp_list_is_migrated_to_version_2(mailman):
    # A PGP list as version 1 stored it: no key_signers column.
    from mailman_pgp.app.lists import make_pgp_list

    ensure_schema()
    with transaction():
        fingerprint = make_pgp_list(create_list("ant@example.com")).fingerprint
    config.db.commit()
    with config.db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE pgp_mailinglist DROP COLUMN key_signers"))
    set_version(1)
    assert "key_signers" not in columns("pgp_mailinglist")
    try:
        assert ensure_schema() == SCHEMA_VERSION
        assert versions() == [SCHEMA_VERSION]
        with config.db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT list_id, fingerprint, key_signers FROM pgp_mailinglist")).all()
        assert [tuple(row) for row in rows] == [
            ("ant.example.com", fingerprint, "administrators")]
        pgp_list = getUtility(IPGPListManager).get("ant.example.com")
        assert pgp_list.key_signers is KeySigners.administrators
        # The column takes every setting, and the step does not run twice.
        with transaction():
            pgp_list.key_signers = KeySigners.members
        assert ensure_schema() == SCHEMA_VERSION
        with config.db.engine.connect() as connection:
            assert connection.execute(
                text("SELECT key_signers FROM pgp_mailinglist")).scalar() == "members"
    finally:
        config.db.abort()
        if "key_signers" not in columns("pgp_mailinglist"):
            with config.db.engine.begin() as connection:
                connection.execute(text(
                    "ALTER TABLE pgp_mailinglist"
                    " ADD COLUMN key_signers VARCHAR(16) DEFAULT 'administrators' NOT NULL"))
        set_version(SCHEMA_VERSION)


def test_the_migrated_column_is_the_column_a_new_database_gets(mailman):
    from sqlalchemy.schema import CreateColumn

    from mailman_pgp.model import PGPMailingList

    column = PGPMailingList.__table__.c.key_signers
    made = str(CreateColumn(column).compile(dialect=config.db.engine.dialect))
    assert made == "key_signers VARCHAR(16) DEFAULT 'administrators' NOT NULL"


POLICY_COLUMNS = [
    "unencrypted_action", "unsigned_action", "bad_signature_action", "expired_key_action",
    "revoked_key_action", "unknown_key_action", "inline_pgp_action", "replay_action",
    "sign_outgoing", "strip_sender_signature", "protect_headers", "autocrypt",
    "archive_plaintext"]


def test_a_version_2_database_holding_a_pgp_list_is_migrated_to_version_3(mailman):
    # A PGP list as version 2 stored it: no policy columns.
    from mailman_pgp.app.lists import make_pgp_list

    ensure_schema()
    with transaction():
        make_pgp_list(create_list("bee@example.com"))
    config.db.commit()
    with config.db.engine.begin() as connection:
        for column in POLICY_COLUMNS:
            connection.execute(text(f"ALTER TABLE pgp_mailinglist DROP COLUMN {column}"))
    set_version(2)
    assert not columns("pgp_mailinglist") & set(POLICY_COLUMNS)
    try:
        assert ensure_schema() == 3
        assert versions() == [3]
        with config.db.engine.connect() as connection:
            row = connection.execute(text(
                f"SELECT {', '.join(POLICY_COLUMNS)} FROM pgp_mailinglist")).one()
        assert tuple(row) == ("reject", "reject", "reject", "reject", "reject", "reject",
                              "accept", "reject", True, False, True, True, False)
        pgp_list = getUtility(IPGPListManager).get("bee.example.com")
        assert pgp_list.replay_action is Action.reject
        assert pgp_list.inline_pgp_action is Action.accept
        assert pgp_list.sign_outgoing is True and pgp_list.archive_plaintext is False
        with transaction():
            pgp_list.unsigned_action = Action.defer
            pgp_list.protect_headers = False
        assert ensure_schema() == 3
        with config.db.engine.connect() as connection:
            assert tuple(connection.execute(text(
                "SELECT unsigned_action, protect_headers FROM pgp_mailinglist")).one()) == (
                    "defer", False)
    finally:
        config.db.abort()
        with config.db.engine.begin() as connection:
            schema._add_policy_settings(connection)
        set_version(SCHEMA_VERSION)


def test_the_migrated_policy_columns_are_the_columns_a_new_database_gets(mailman):
    from sqlalchemy.schema import CreateColumn

    from mailman_pgp.model import PGPMailingList

    table = PGPMailingList.__table__
    made = tuple(str(CreateColumn(table.c[name]).compile(dialect=config.db.engine.dialect))
                 for name in POLICY_COLUMNS)
    assert made == schema._POLICY_COLUMNS_V3
    assert {case.setting for case in PolicyCase} <= set(POLICY_COLUMNS)
