"""The app's own receivers of webhook events: what the pages show follows the events."""

from __future__ import annotations

from typing import Any

from mailman_pgp_web.pgp_rest import forget_list
from mailman_pgp_web.signals import webhook_received

# The PGP plugin's events about keys and PGP lists: what the owner's event log shows.
KEY_EVENTS = (
    "ListKeyCreatedEvent",
    "ListKeyCertifiedEvent",
    "KeySetEvent",
    "KeyConfirmedEvent",
    "KeyChangedEvent",
    "KeyRevokedEvent",
    "PGPListSettingsChangedEvent",
)


def forget_what_changed(sender: Any, name: str, event: dict[str, Any], record: Any,
                        **kwargs: Any) -> None:
    """An event naming a list (a key, a member, a setting): forget what is cached of it."""
    if record.list_id:
        forget_list(record.list_id)


def connect() -> None:
    webhook_received.connect(forget_what_changed, dispatch_uid="mailman_pgp_web.forget")
