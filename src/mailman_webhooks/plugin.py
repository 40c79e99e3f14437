"""The webhooks plugin's entry point, named in ``[plugin.webhooks] class:``.

The hooks only wire things: pre_hook loads the configuration file its own section
names (`mailman_webhooks.configuration`) and adds the delivery runner to Mailman's
configuration; post_hook creates or migrates the outbox tables and subscribes the
capturing function to events. A configuration or database the plugin cannot work
with stops Mailman's start-up, naming the problem.
"""

from __future__ import annotations

import logging

import zope.event
from mailman.config import config
from mailman.interfaces.plugin import IPlugin
from public import public
from zope.interface import implementer

from mailman_plugin_kit.rest import PluginPaths
from mailman_plugin_kit.schema import SchemaTooNew
from mailman_plugin_kit.startup import stops_start
from mailman_webhooks.capture import capture
from mailman_webhooks.configuration import PLUGIN, load_configuration
from mailman_webhooks.crashes import capture_crash
from mailman_webhooks.database import ensure_schema
from mailman_webhooks.errors import ConfigurationError
from mailman_webhooks.rest.root import WebhooksRoot
from mailman_webhooks.session_hooks import watch_mailman_session

log = logging.getLogger("mailman.plugins")

RUNNER_NAME = "webhooks"
RUNNER_SETTINGS_NAME = "mailman_webhooks runner"
# The class, and an empty path: the runner reads the outbox, not a queue directory, so
# Mailman makes no switchboard for it (like its rest and lmtp runners), and neither
# `mailman inject` nor REST /3.1/queues offer it. An administrator's own
# [runner.webhooks] (instances, sleep_time, start) in mailman.cfg stays in force underneath.
RUNNER_SETTINGS = f"""
[runner.{RUNNER_NAME}]
class: mailman_webhooks.runner.WebhooksRunner
path:
"""


@public
@implementer(IPlugin)
class WebhooksPlugin:
    """See `IPlugin`."""

    # Set by Mailman from the [plugin.<name>] section, after it creates the plugin.
    name: str

    def __init__(self) -> None:
        self.resource = WebhooksRoot(PluginPaths(self))

    def pre_hook(self) -> None:
        """See `IPlugin`."""
        with stops_start(PLUGIN, ConfigurationError):
            configuration = load_configuration(self.name)
        names = ", ".join(sorted(configuration.settings.endpoints)) or "none"
        log.info("webhooks plugin: endpoints: %s", names)
        config.push(RUNNER_SETTINGS_NAME, RUNNER_SETTINGS)

    def post_hook(self) -> None:
        """See `IPlugin`."""
        with stops_start(PLUGIN, SchemaTooNew):
            ensure_schema(config.db.engine)
        watch_mailman_session(config.db.sessionmaker)
        for subscriber in (capture, capture_crash):
            if subscriber not in zope.event.subscribers:
                zope.event.subscribers.append(subscriber)
