"""The webhooks plugin's entry point, named in ``[plugin.webhooks] class:``."""

from mailman.interfaces.plugin import IPlugin
from public import public
from zope.interface import implementer


@public
@implementer(IPlugin)
class WebhooksPlugin:
    """See `IPlugin`."""

    resource = None

    def pre_hook(self) -> None:
        """See `IPlugin`."""

    def post_hook(self) -> None:
        """See `IPlugin`."""
