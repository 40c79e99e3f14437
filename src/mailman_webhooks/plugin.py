"""The webhooks plugin's entry point, named in ``[plugin.webhooks] class:``.

The hooks only wire things: pre_hook reads and checks the plugin's configuration
file and adds the delivery runner to Mailman's configuration; post_hook creates or
migrates the outbox tables and subscribes the capturing function to events.
"""

from __future__ import annotations

import logging

import zope.event
from mailman.config import config
from mailman.config.config import load_external
from mailman.interfaces.plugin import IPlugin
from public import public
from zope.interface import implementer

from mailman_webhooks.capture import capture
from mailman_webhooks.database import ensure_schema
from mailman_webhooks.errors import WebhooksError
from mailman_webhooks.rest.root import WebhooksRoot
from mailman_webhooks.settings import WebhooksConfiguration

log = logging.getLogger("mailman.plugins")

RUNNER_NAME = "webhooks"
RUNNER_SETTINGS_NAME = "mailman_webhooks runner"
# Only the class: an administrator's own [runner.webhooks] (instances, sleep_time,
# start) in mailman.cfg stays in force underneath.
RUNNER_SETTINGS = f"""
[runner.{RUNNER_NAME}]
class: mailman_webhooks.runner.WebhooksRunner
"""
FILE_OVERLAY_NAME = "administrator's webhooks configuration"


@public
def active_plugin() -> WebhooksPlugin | None:
    """The enabled webhooks plugin of this process, whatever its section is called."""
    for plugin in config.plugins.values():
        if isinstance(plugin, WebhooksPlugin):
            return plugin
    return None


@public
@implementer(IPlugin)
class WebhooksPlugin:
    """See `IPlugin`."""

    # Built per request, so it reads the current settings and the name Mailman gave us.
    resource = property(lambda self: WebhooksRoot(self))

    def __init__(self) -> None:
        self.configuration = WebhooksConfiguration()

    def pre_hook(self) -> None:
        """See `IPlugin`.

        Mailman turns an exception here into a disabled plugin and starts anyway;
        a webhook configuration that silently sends nothing is worse than no start,
        so a bad file ends the process with a message naming the problem.
        """
        section = getattr(config, f"plugin.{self.name}")
        path = section.configuration.strip()
        if path:
            try:
                text = load_external(path)
            except (OSError, ImportError) as error:
                reason = getattr(error, "strerror", None) or type(error).__name__
                raise SystemExit(
                    f"webhooks plugin: cannot read its configuration {path}: {reason}"
                ) from None
            try:
                self.configuration.push(FILE_OVERLAY_NAME, text)
            except WebhooksError as error:
                raise SystemExit(f"webhooks plugin: {path}: {error}") from None
        names = ", ".join(sorted(self.configuration.settings.endpoints)) or "none"
        log.info("webhooks plugin: endpoints: %s", names)
        config.push(RUNNER_SETTINGS_NAME, RUNNER_SETTINGS)

    def post_hook(self) -> None:
        """See `IPlugin`."""
        try:
            ensure_schema(config.db.engine)
        except WebhooksError as error:
            raise SystemExit(f"webhooks plugin: {error}") from None
        if capture not in zope.event.subscribers:
            zope.event.subscribers.append(capture)
