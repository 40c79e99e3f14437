"""One copy of a message in SMTP wire form, which Mailman's own delivery code sends as it is.

Mailman's ``BaseDelivery._deliver_to_recipients`` passes its ``msg`` to
``Connection.sendmail``, which sends bytes unchanged and a ``Message`` only after
generating it anew; besides that it reads one header of ``msg`` (``msg['message-id']``,
and ``msg.get('message-id')`` when it VERPs). A `WireCopy` is those bytes answering
such lookups, so an encrypted copy goes through Mailman's error handling, session
counting and logging without being parsed or generated again.
"""

from __future__ import annotations

from email.message import Message
from typing import Any, SupportsIndex

from public import public


@public
class WireCopy(bytes):
    """The bytes of one copy of ``original``, that also answer header lookups as ``original``.

    ``original`` is the message the copy was made from; its headers are those the copy
    carries outside the encryption (Message-ID, From, Subject, ...). Mailman's
    delivery code reads no more than that.
    """

    original: Message

    def __new__(cls, data: bytes, original: Message) -> WireCopy:
        copy = super().__new__(cls, data)
        copy.original = original
        return copy

    def __getitem__(self, key: str | SupportsIndex | slice) -> Any:
        """A header of ``original`` for a name, else what bytes give (an octet, a slice)."""
        if isinstance(key, str):
            return self.original[key]
        return super().__getitem__(key)

    def get(self, name: str, failobj: Any = None) -> Any:
        """A header of ``original``, as ``Message.get``."""
        return self.original.get(name, failobj)
