"""Telling the sender why a post was refused or held, through Mailman's own notices."""

from __future__ import annotations

from collections.abc import MutableMapping
from email.message import Message
from typing import Any

from public import public


@public
def refuse(msgdata: MutableMapping[str, Any], msg: Message, reason: str, *values: str) -> None:
    """Add ``reason`` to the reasons Mailman's reject and hold chains quote in their notices.

    ``reason`` is a sentence with ``{}`` where each of ``values`` goes; Mailman
    translates the sentence and then fills in the values.
    """
    msgdata["moderation_sender"] = getattr(msg, "sender", None)
    msgdata.setdefault("moderation_reasons", []).append((reason, *values) if values else reason)
