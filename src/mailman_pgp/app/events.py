"""The plugin's event subscribers, registered in one place by the plugin's ``post_hook``."""

from mailman.interfaces.listmanager import ListCreatedEvent, ListDeletingEvent
from public import public
from zope import event
from zope.component import getUtility

from mailman_pgp.interfaces.lists import IPGPListManager


def _forget_key_pair(list_id: str) -> None:
    getUtility(IPGPListManager).delete(list_id)


@public
def handle_ListDeletingEvent(event: object) -> None:
    """Delete a PGP list's key pair with the list, in the same transaction."""
    if isinstance(event, ListDeletingEvent):
        _forget_key_pair(event.mailing_list.list_id)


@public
def handle_ListCreatedEvent(event: object) -> None:
    """Drop a key pair left by a list deleted while the plugin was off: a new list starts plain."""
    if isinstance(event, ListCreatedEvent):
        _forget_key_pair(event.mailing_list.list_id)


SUBSCRIBERS = [handle_ListDeletingEvent, handle_ListCreatedEvent]


@public
def initialize() -> None:
    """Subscribe the plugin's handlers to Mailman's events, once per process."""
    for subscriber in SUBSCRIBERS:
        if subscriber not in event.subscribers:
            event.subscribers.append(subscriber)
