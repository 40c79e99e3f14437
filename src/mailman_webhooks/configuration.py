"""This process's webhooks configuration: loaded by the plugin's pre_hook, read by every module.

Every Mailman process runs the plugin's ``pre_hook``, which reads the file named by its own
``[plugin.NAME] configuration:`` into a `WebhooksConfiguration` kept in `SETTINGS`
(`mailman_plugin_kit.settings`). Capture, the runner and the REST resources ask
`webhooks_settings` for the settings in force; tests push overlays onto
`webhooks_configuration`. Nothing here imports the plugin class.
"""

from __future__ import annotations

from mailman.config import config
from mailman.config.config import load_external
from public import public

from mailman_plugin_kit.settings import ProcessSettings
from mailman_webhooks.errors import ConfigurationError
from mailman_webhooks.settings import Settings, WebhooksConfiguration

# How the plugin names itself in messages, whatever its [plugin.NAME] section is called.
PLUGIN = "webhooks"
FILE_OVERLAY_NAME = "administrator's webhooks configuration"

SETTINGS: ProcessSettings[WebhooksConfiguration] = ProcessSettings(PLUGIN)

public(PLUGIN=PLUGIN, FILE_OVERLAY_NAME=FILE_OVERLAY_NAME, SETTINGS=SETTINGS)


@public
def load_configuration(plugin_name: str) -> WebhooksConfiguration:
    """Read the file ``[plugin.<plugin_name>] configuration:`` names; make it this process's.

    Raises `ConfigurationError` naming the file and what is wrong with it; the
    configuration in force then stays as it was.
    """
    section = getattr(config, f"plugin.{plugin_name}")
    configuration = WebhooksConfiguration()
    path = section.configuration.strip()
    if path:
        try:
            text = load_external(path)
        except (OSError, ImportError) as error:
            reason = getattr(error, "strerror", None) or type(error).__name__
            raise ConfigurationError(f"cannot read its configuration {path}: {reason}") from None
        try:
            configuration.push(FILE_OVERLAY_NAME, text)
        except ConfigurationError as error:
            raise ConfigurationError(f"{path}: {error}") from None
    return SETTINGS.set(configuration)


@public
def webhooks_configuration() -> WebhooksConfiguration:
    """The configuration stack of this process, for pushing and popping overlays."""
    return SETTINGS.get()


@public
def webhooks_settings() -> Settings:
    """The settings in force in this process (the top of its configuration stack)."""
    return SETTINGS.get().settings
