# Test that the administrator's page docs/webhooks.md shows the real schema file, and that its
# enabling snippet, example file and error message are what the plugin accepts and says.

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from mailman.config import config

from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.settings import WebhooksConfiguration

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def block(marker: str) -> str:
    """The fenced block between ``<!-- marker-start -->`` and ``<!-- marker-end -->``."""
    text = DOC.read_text()
    found = re.search(
        rf"<!-- {marker}-start -->\n```\w*\n(.*?)```\n<!-- {marker}-end -->", text, re.S
    )
    assert found, f"no {marker} block in {DOC}"
    return found.group(1)


def test_reference_is_the_schema_file():
    schema = files("mailman_webhooks").joinpath("schema.cfg").read_text()
    assert block("schema") == schema


def test_example_file_is_accepted():
    configuration = WebhooksConfiguration()
    configuration.push("example", block("example"))
    settings = configuration.settings
    assert set(settings.endpoints) == {"webui", "audit"}
    assert settings.endpoints["webui"].include_secrets
    assert settings.endpoints["webui"].wants("SubscriptionEvent")
    assert not settings.endpoints["webui"].wants("HoldEvent")
    assert settings.endpoints["audit"].secret is None


@pytest.mark.mailman
def test_enabling_snippet_loads_the_example_and_adds_the_runner(new_plugin, tmp_path):
    example = tmp_path / "webhooks.cfg"
    example.write_text(block("example"))
    snippet = block("enable").replace("/etc/mailman3/webhooks.cfg", str(example))
    config.push("docs snippet", snippet)
    try:
        assert getattr(config, "plugin.webhooks").enabled == "yes"
        new_plugin.pre_hook()
        section = getattr(config, "runner.webhooks")
        assert section["class"] == "mailman_webhooks.runner.WebhooksRunner"
        assert set(webhooks_settings().endpoints) == {"webui", "audit"}
    finally:
        config.pop("docs snippet")


@pytest.mark.mailman
def test_shown_error_message_is_the_real_one(new_plugin, tmp_path):
    shown = re.search(r"^webhooks plugin: .*$", DOC.read_text(), re.M).group(0)
    bad = tmp_path / "webhooks.cfg"
    bad.write_text("[endpoint.crm]\nurl: https://crm.example.com/\nevents: List(\n")
    config.push("bad file", f"[plugin.webhooks]\nconfiguration: {bad}\n")
    try:
        with pytest.raises(SystemExit) as stopped:
            new_plugin.pre_hook()
    finally:
        config.pop("bad file")
    assert str(stopped.value.code).replace(str(bad), "/etc/mailman3/webhooks.cfg") == shown
