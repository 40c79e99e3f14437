# Test that enabling the plugin is all an administrator does: it adds its delivery runner to
# Mailman's configuration and subscribes capture, and a bad configuration stops Mailman.

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import zope.event
from mailman.config import config
from mailman.interfaces.plugin import IPlugin
from mailman.interfaces.runner import IRunner
from zope.interface.verify import verifyObject

from mailman_webhooks.capture import capture
from mailman_webhooks.plugin import RUNNER_SETTINGS_NAME, WebhooksPlugin, active_plugin
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
    assert verifyObject(IPlugin, active_plugin())
    assert verifyObject(IRunner, WebhooksRunner("webhooks"))


def test_runner_section_is_in_mailman_configuration(mailman):
    section = getattr(config, "runner.webhooks")
    assert section["class"] == "mailman_webhooks.runner.WebhooksRunner"
    assert "runner.webhooks" in {runner.name for runner in config.runner_configs}


def test_capture_is_subscribed_once(mailman):
    assert zope.event.subscribers.count(capture) == 1
    active_plugin().post_hook()
    assert zope.event.subscribers.count(capture) == 1


def test_administrators_runner_settings_stay(mailman):
    config.push("admin runner", "[runner.webhooks]\ninstances: 4\nsleep_time: 2s\n")
    plugin = WebhooksPlugin()
    plugin.name = "webhooks"
    try:
        plugin.pre_hook()
        section = getattr(config, "runner.webhooks")
        assert (section.instances, section.sleep_time) == ("4", "2s")
        assert section["class"] == "mailman_webhooks.runner.WebhooksRunner"
    finally:
        config.pop(RUNNER_SETTINGS_NAME)
        config.pop("admin runner")


def _pre_hook_with(path: Path) -> None:
    config.push("bad plugin file", PLUGIN_SECTION.format(path=path))
    plugin = WebhooksPlugin()
    plugin.name = "webhooks"
    try:
        plugin.pre_hook()
    finally:
        config.pop("bad plugin file")


def test_bad_file_stops_start_naming_endpoint(mailman, tmp_path):
    bad = tmp_path / "webhooks.cfg"
    bad.write_text("[endpoint.crm]\nurl: https://crm.example.com/\nevents: List(\n")
    with pytest.raises(SystemExit) as stopped:
        _pre_hook_with(bad)
    message = str(stopped.value.code)
    assert str(bad) in message
    assert "[endpoint.crm]: events is not a valid regular expression" in message


def test_missing_file_stops_start(mailman, tmp_path):
    with pytest.raises(SystemExit, match="cannot read its configuration"):
        _pre_hook_with(tmp_path / "absent.cfg")


def _mailman_info(tmp_path: Path, webhooks_cfg: str) -> subprocess.CompletedProcess:
    """Run the real ``mailman info`` with only this plugin enabled, on a new database."""
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
        [str(mailman_cli), "-C", str(main), *as_root, "info"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


def test_real_mailman_refuses_to_start_with_unknown_key(tmp_path):
    result = _mailman_info(tmp_path, "[endpoint.crm]\nurl: https://crm.example.com/\nkey: x\n")
    assert result.returncode != 0
    assert "[endpoint.crm]: unknown key 'key'" in result.stderr


def test_real_mailman_starts_and_creates_tables(tmp_path):
    result = _mailman_info(tmp_path, "[endpoint.crm]\nurl: https://crm.example.com/\n")
    assert result.returncode == 0, result.stderr
    database = sqlite3.connect(tmp_path / "var" / "data" / "mailman.db")
    try:
        names = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
        (version,) = database.execute("SELECT version FROM webhook_schema").fetchone()
    finally:
        database.close()
    assert {"webhook_event", "webhook_delivery", "webhook_attempt"} <= names
    assert version == 1


def test_missing_python_resource_stops_start(mailman):
    config.push("python path", "[plugin.webhooks]\nconfiguration: python:no_such_pkg.hooks\n")
    plugin = WebhooksPlugin()
    plugin.name = "webhooks"
    try:
        with pytest.raises(SystemExit, match="python:no_such_pkg.hooks: ModuleNotFoundError"):
            plugin.pre_hook()
    finally:
        config.pop("python path")
