"""The webhooks plugin's exceptions, all derived from one base class."""

from public import public


@public
class WebhooksError(Exception):
    """Base class of every error the webhooks plugin raises."""


@public
class ConfigurationError(WebhooksError):
    """The plugin's configuration file is invalid; the message names what and where."""
