"""The PGP plugin's entry point, named in ``[plugin.pgp] class:``."""

from public import public
from zope.interface import implementer

from mailman.interfaces.plugin import IPlugin


@public
@implementer(IPlugin)
class PGPPlugin:
    """See `IPlugin`."""

    resource = None

    def pre_hook(self) -> None:
        """See `IPlugin`."""

    def post_hook(self) -> None:
        """See `IPlugin`."""
