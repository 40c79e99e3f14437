"""The PGP plugin's entry point, named in ``[plugin.pgp] class:``."""

from mailman.interfaces.plugin import IPlugin
from public import public
from zope.interface import implementer


@public
@implementer(IPlugin)
class PGPPlugin:
    """See `IPlugin`."""

    resource = None

    def pre_hook(self) -> None:
        """See `IPlugin`."""

    def post_hook(self) -> None:
        """See `IPlugin`."""
