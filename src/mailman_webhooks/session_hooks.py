"""Where the plugin listens to Mailman's own database session, wired in one place."""

from __future__ import annotations

from typing import Any

from public import public

from mailman_webhooks import capture, crashes, model_changes


@public
def watch_mailman_session(sessionmaker: Any) -> None:
    """Listen to the sessions of Mailman's ``config.db.sessionmaker``; idempotent.

    Derives events from the rows they write (`mailman_webhooks.model_changes`), writes the
    events of a transaction as it commits (`mailman_webhooks.capture`: after the derived
    ones are fired, so in this order) and records crash events once their transaction has
    ended (`mailman_webhooks.crashes`).
    """
    model_changes.watch(sessionmaker)
    capture.watch(sessionmaker)
    crashes.watch(sessionmaker)
