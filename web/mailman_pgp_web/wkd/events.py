"""What the key directory does with webhook events: forget its index when PGP lists change."""

from typing import Any

from mailman_pgp_web.signals import event_signal
from mailman_pgp_web.wkd.views import directory

# A list became a PGP list; a list was deleted. (A list key's change — a certification —
# is forgotten by the app's own receiver, which drops the cached key of the list.)
INDEX_EVENTS = ("ListKeyCreatedEvent", "ListDeletedEvent")


def forget_index(sender: Any, **kwargs: Any) -> None:
    directory().forget()


def connect() -> None:
    """Connect the directory to the app's webhook signals (called by the app's `ready`)."""
    for name in INDEX_EVENTS:
        event_signal(name).connect(forget_index, dispatch_uid=f"mailman_pgp_web.wkd.{name}")
