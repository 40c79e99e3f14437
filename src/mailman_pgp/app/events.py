"""The plugin's event subscribers, registered in one place by the plugin's ``post_hook``."""

from mailman.config import config
from mailman.interfaces.listmanager import ListDeletingEvent
from public import public
from zope import event

from mailman_pgp.model import PGPMailingList


@public
def handle_ListDeletingEvent(event: object) -> None:
    """Delete a PGP list's key pair with the list, in the same transaction."""
    if not isinstance(event, ListDeletingEvent):
        return
    pgp_list = PGPMailingList.for_list_id(event.mailing_list.list_id)
    if pgp_list is not None:
        config.db.store.delete(pgp_list)


SUBSCRIBERS = [handle_ListDeletingEvent]


@public
def initialize() -> None:
    """Subscribe the plugin's handlers to Mailman's events, once per process."""
    for subscriber in SUBSCRIBERS:
        if subscriber not in event.subscribers:
            event.subscribers.append(subscriber)
