# Test that enabling the plugin is all an administrator does: it adds its delivery runner to
# Mailman's configuration, loads the file its own section names as this process's settings and
# subscribes capture, and that a bad configuration or a newer database stops Mailman.

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.error import HTTPError

import pytest
import zope.event
from mailman.config import config
from mailman.interfaces.plugin import IPlugin
from mailman.interfaces.runner import IRunner
from mailman.testing.helpers import call_api
from sqlalchemy import update
from zope.interface.verify import verifyObject

from mailman_webhooks import database
from mailman_webhooks.capture import capture
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.plugin import RUNNER_SETTINGS_NAME
from mailman_webhooks.runner import WebhooksRunner

pytestmark = pytest.mark.mailman

PLUGIN_SECTION = """
[plugin.webhooks]
class: mailman_webhooks.plugin.WebhooksPlugin
enabled: yes
component_package: mailman_webhooks
configuration: {path}
"""


def test_components_conform(mailman):
    assert verifyObject(IPlugin, config.plugins["webhooks"])
    assert verifyObject(IRunner, WebhooksRunner("webhooks"))


def test_runner_section_is_in_mailman_configuration(mailman):
    section = getattr(config, "runner.webhooks")
    assert section["class"] == "mailman_webhooks.runner.WebhooksRunner"
    assert "runner.webhooks" in {runner.name for runner in config.runner_configs}


def test_runner_has_no_queue_like_mailmans_rest_runner(mailman):
    # Mailman makes a switchboard (a queue directory) for each runner section with a path.
    assert getattr(config, "runner.webhooks").path == ""
    assert "webhooks" not in config.switchboards
    assert "in" in config.switchboards
    assert WebhooksRunner("webhooks").switchboard is None


def test_rest_queues_do_not_list_the_runner(rest_url):
    config.db.commit()
    queues = call_api(rest_url("3.1/queues"))[0]
    names = {entry["name"] for entry in queues["entries"]}
    assert "webhooks" not in names
    assert {"in", "out", "shunt"} <= names
    with pytest.raises(HTTPError) as missing:
        call_api(rest_url("3.1/queues/webhooks"))
    assert missing.value.code == 404


def test_capture_is_subscribed_once(mailman):
    assert zope.event.subscribers.count(capture) == 1
    config.plugins["webhooks"].post_hook()
    assert zope.event.subscribers.count(capture) == 1


def test_administrators_runner_settings_stay(new_plugin):
    config.push("admin runner", "[runner.webhooks]\ninstances: 4\nsleep_time: 2s\n")
    try:
        new_plugin.pre_hook()
        section = getattr(config, "runner.webhooks")
        assert (section.instances, section.sleep_time) == ("4", "2s")
        assert section["class"] == "mailman_webhooks.runner.WebhooksRunner"
    finally:
        config.pop(RUNNER_SETTINGS_NAME)
        config.pop("admin runner")


def _pre_hook_with(plugin, path: Path) -> None:
    config.push("bad plugin file", PLUGIN_SECTION.format(path=path))
    try:
        plugin.pre_hook()
    finally:
        config.pop("bad plugin file")


def test_bad_file_stops_start_naming_endpoint(new_plugin, tmp_path):
    bad = tmp_path / "webhooks.cfg"
    bad.write_text("[endpoint.crm]\nurl: https://crm.example.com/\nevents: List(\n")
    before = webhooks_settings()
    with pytest.raises(SystemExit) as stopped:
        _pre_hook_with(new_plugin, bad)
    message = str(stopped.value.code)
    assert message.startswith("webhooks plugin: ")
    assert str(bad) in message
    assert "[endpoint.crm]: events is not a valid regular expression" in message
    assert webhooks_settings() is before


def test_missing_file_stops_start(new_plugin, tmp_path):
    with pytest.raises(SystemExit, match="cannot read its configuration"):
        _pre_hook_with(new_plugin, tmp_path / "absent.cfg")


def test_settings_come_from_the_plugins_own_section(new_plugin, tmp_path):
    hooks = tmp_path / "hooks.cfg"
    hooks.write_text("[endpoint.crm]\nurl: https://crm.example.com/\n")
    config.push("other name", PLUGIN_SECTION.replace("[plugin.webhooks]", "[plugin.hooks]")
                .format(path=hooks))
    new_plugin.name = "hooks"
    try:
        new_plugin.pre_hook()
        assert set(webhooks_settings().endpoints) == {"crm"}
    finally:
        config.pop("other name")  # and the runner section pushed above it


def test_newer_schema_stops_start(mailman):
    with config.db.engine.begin() as connection:
        connection.execute(update(database.schema_table).values(version=999))
    try:
        with pytest.raises(SystemExit) as stopped:
            config.plugins["webhooks"].post_hook()
    finally:
        with config.db.engine.begin() as connection:
            connection.execute(
                update(database.schema_table).values(version=database.SCHEMA_VERSION)
            )
    assert str(stopped.value.code) == (
        "webhooks plugin: the database holds the webhooks plugin's schema version 999, "
        f"newer than this plugin's {database.SCHEMA_VERSION}; install the newer plugin"
    )


def _mailman_info(
    tmp_path: Path, webhooks_cfg: str, command: tuple[str, ...] = ("info",)
) -> subprocess.CompletedProcess:
    """Run the real ``mailman info`` (or ``command``) with only this plugin, on a new database."""
    hooks = tmp_path / "webhooks.cfg"
    hooks.write_text(webhooks_cfg)
    main = tmp_path / "mailman.cfg"
    main.write_text(
        f"[mailman]\nlayout: here\n[paths.here]\nvar_dir: {tmp_path / 'var'}\n"
        + PLUGIN_SECTION.format(path=hooks)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILMAN_")}
    mailman_cli = Path(sys.executable).parent / "mailman"
    as_root = ["--run-as-root"] if os.geteuid() == 0 else []
    return subprocess.run(
        [str(mailman_cli), "-C", str(main), *as_root, *command],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


def test_real_mailman_refuses_to_start_with_unknown_key(tmp_path):
    result = _mailman_info(tmp_path, "[endpoint.crm]\nurl: https://crm.example.com/\nkey: x\n")
    assert result.returncode != 0
    assert "[endpoint.crm]: unknown key 'key'" in result.stderr


def test_real_mailman_starts_and_creates_tables(tmp_path):
    result = _mailman_info(tmp_path, "[endpoint.crm]\nurl: https://crm.example.com/\n")
    assert result.returncode == 0, result.stderr
    db_file = sqlite3.connect(tmp_path / "var" / "data" / "mailman.db")
    try:
        names = {row[0] for row in db_file.execute("SELECT name FROM sqlite_master")}
        (version,) = db_file.execute("SELECT version FROM webhook_schema").fetchone()
    finally:
        db_file.close()
    assert {"webhook_event", "webhook_delivery", "webhook_attempt"} <= names
    assert version == database.SCHEMA_VERSION


def test_missing_python_resource_stops_start(new_plugin):
    config.push("python path", "[plugin.webhooks]\nconfiguration: python:no_such_pkg.hooks\n")
    try:
        with pytest.raises(SystemExit, match="python:no_such_pkg.hooks: ModuleNotFoundError"):
            new_plugin.pre_hook()
    finally:
        config.pop("python path")


def test_mailman_inject_does_not_offer_the_runner_as_a_queue(tmp_path):
    result = _mailman_info(
        tmp_path, "[endpoint.crm]\nurl: https://crm.example.com/\n", ("inject", "--show")
    )
    assert result.returncode == 0, result.stderr
    queues = {line.strip() for line in result.stdout.splitlines()[1:]}
    assert "webhooks" not in queues
    assert {"in", "out", "virgin"} <= queues
    assert not (tmp_path / "var" / "queue" / "webhooks").exists()
