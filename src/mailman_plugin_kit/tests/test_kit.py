# Test the answers both plugins share: settings read before the hook ran say so, a start-up
# failure ends the process naming the plugin, REST paths carry the plugin's section name, paging
# mistakes are named before Mailman's CollectionMixin sees them, and a plugin schema is created,
# migrated and refused when newer, on a database of its own.

from types import SimpleNamespace

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from mailman_plugin_kit.rest import PluginPaths, paging_error
from mailman_plugin_kit.schema import PluginSchema, SchemaTooNew, ensure_schema
from mailman_plugin_kit.settings import ProcessSettings, SettingsNotLoaded
from mailman_plugin_kit.startup import stop_start, stops_start


def test_settings_are_what_the_hook_set():
    settings: ProcessSettings[dict] = ProcessSettings("Test")
    with pytest.raises(SettingsNotLoaded, match="The Test plugin's settings were read before"):
        settings.get()
    value = {"a": 1}
    assert settings.set(value) is value
    assert settings.get() is value


def test_a_start_up_failure_ends_the_process_naming_the_plugin():
    with pytest.raises(SystemExit, match="^Test plugin: the problem$"):
        stop_start("Test", "the problem")
    with pytest.raises(SystemExit, match="^Test plugin: bad value$"):
        with stops_start("Test", ValueError):
            raise ValueError("bad value")
    with pytest.raises(KeyError), stops_start("Test", ValueError):
        raise KeyError("not ours")


def test_rest_paths_carry_the_name_mailman_gave_the_plugin():
    plugin = SimpleNamespace(name="before")
    api = SimpleNamespace(path_to=lambda path: f"http://host/3.1/{path}")
    paths = PluginPaths(plugin)
    plugin.name = "pgp"
    assert paths.path(api, "lists", "a.example.com", 3) == (
        "http://host/3.1/plugins/pgp/lists/a.example.com/3")


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({}, None),
        ({"count": "0", "page": "1"}, None),
        ({"count": "25", "page": "3"}, None),
        ({"count": "2"}, "count and page go together"),
        ({"page": "2"}, "count and page go together"),
        ({"count": "x", "page": "1"}, "Invalid count: 'x'; give a whole number"),
        ({"count": "-1", "page": "1"}, "Invalid count: '-1'; give a whole number"),
        ({"count": "2", "page": "0"}, "Invalid page: '0'; give a whole number from 1"),
        ({"count": "2", "page": "\u0663"}, "Invalid page: '\u0663'; give a whole number from 1"),
    ],
    ids=["none", "count-zero", "both", "count-alone", "page-alone", "count-not-a-number",
         "count-negative", "page-zero", "page-not-ascii"],
)
def test_paging_mistakes_are_named(params, problem):
    request = SimpleNamespace(get_param=params.get)
    assert paging_error(request) == problem


def schema_of(version: int, migrations=None) -> tuple[PluginSchema, Table]:
    metadata = MetaData()
    version_table = Table("kit_schema", metadata, Column("version", Integer, nullable=False))
    thing = Table("kit_thing", metadata, Column("id", Integer, primary_key=True),
                  Column("label", String(20)))
    return PluginSchema("Test", version_table, [thing], version, 1, migrations or {}), thing


def test_a_schema_is_created_then_migrated_then_refused_when_newer(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'kit.db'}")
    first, thing = schema_of(1)
    assert ensure_schema(engine, first) == 1
    with engine.begin() as connection:
        connection.execute(insert(thing).values(label="kept"))
    ran = []
    second, _ = schema_of(3, {1: lambda c: ran.append(1), 2: lambda c: ran.append(2)})
    assert ensure_schema(engine, second) == 3
    assert ensure_schema(engine, second) == 3
    assert ran == [1, 2]
    with engine.connect() as connection:
        assert connection.execute(select(thing.c.label)).scalars().all() == ["kept"]
        assert connection.execute(select(second.version_table.c.version)).scalars().all() == [3]
    with pytest.raises(SchemaTooNew, match="Test plugin's schema version 3, newer than this"):
        ensure_schema(engine, first)


def test_a_failing_migration_changes_nothing(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'kit.db'}")
    ensure_schema(engine, schema_of(1)[0])

    def broken(connection):
        raise RuntimeError("step failed")

    with pytest.raises(RuntimeError, match="step failed"):
        ensure_schema(engine, schema_of(2, {1: broken})[0])
    with engine.connect() as connection:
        version_table = schema_of(1)[0].version_table
        assert connection.execute(select(version_table.c.version)).scalars().all() == [1]
