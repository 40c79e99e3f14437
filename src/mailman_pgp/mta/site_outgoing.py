"""The ``[mta] outgoing`` callable the site had before the plugin put its own in its place.

Every Mailman process runs the plugin's ``pre_hook``, which records the site's callable
here just before it pushes the plugin's own; `mailman_pgp.mta.deliver.deliver` hands
all mail that is not a PGP list post on to it, so a site that had its own outgoing
callable keeps it for every list.
"""

from __future__ import annotations

from collections.abc import Callable

from mailman.utilities.modules import find_name
from public import public

STOCK_OUTGOING = "mailman.mta.deliver.deliver"
OUTGOING = "mailman_pgp.mta.deliver.deliver"


class _Recorded:
    """The name recorded, Mailman's stock callable until ``pre_hook`` says otherwise."""

    name = STOCK_OUTGOING


@public
def remember_site_outgoing(name: str) -> None:
    """Record ``name``, the ``[mta] outgoing`` configured before the plugin's push.

    The plugin's own callable is never recorded: ``pre_hook`` may run again in a
    process where the plugin's setting is already pushed, and the site's stays.
    """
    name = name.strip()
    if name != OUTGOING:
        _Recorded.name = name


@public
def site_outgoing_name() -> str:
    """The dotted name of the site's callable, as recorded."""
    return _Recorded.name


@public
def site_outgoing() -> Callable[..., object]:
    """The site's callable, resolved as Mailman's out runner resolves ``[mta] outgoing``."""
    return find_name(_Recorded.name)
