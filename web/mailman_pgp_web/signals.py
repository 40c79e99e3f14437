"""Django signals sent for each webhook event received, once per event id.

Connect to every event, or to the events of one name::

    from mailman_pgp_web.signals import event_signal, webhook_received

    @receiver(webhook_received)
    def on_any(sender, name, event, event_id, timestamp, **kwargs): ...

    event_signal("KeyConfirmedEvent").connect(on_key_confirmed)

``sender`` is the `WebhookEvent` model class; ``name`` the event's class name in Mailman
(``KeySetEvent``...); ``event`` the envelope's ``event`` object (a dict); ``event_id`` its
id; ``timestamp`` when Mailman recorded it (an aware datetime, or None); ``record`` the
stored `WebhookEvent`. A signal per name is its own `Signal` (string senders cannot be
matched reliably by Django, which compares them by identity).
"""

from __future__ import annotations

from django.dispatch import Signal

webhook_received = Signal()

_by_name: dict[str, Signal] = {}


def event_signal(name: str) -> Signal:
    """The signal sent for the events named ``name`` (made on first use)."""
    return _by_name.setdefault(name, Signal())
