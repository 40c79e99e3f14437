"""The events the PGP plugin fires: identifiers only (a list, an address, a fingerprint).

Subscribers to zope events (the webhooks plugin among them) learn of key changes from
these; no event carries key material or a token.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailman.interfaces.mailinglist import IMailingList
from public import public


@dataclass(frozen=True)
class _KeyEvent:
    """Something happened to a key of ``email`` (``fingerprint``) on the list ``mlist``.

    A key belongs to an address on every list: a change made through REST is announced
    once per PGP list the address is on, and with ``mlist`` None when it is on none.
    """

    mlist: IMailingList | None
    email: str
    fingerprint: str


@public
class ListKeyCreatedEvent:
    """A list became a PGP list: its key pair was made."""

    def __init__(self, mlist: IMailingList, fingerprint: str) -> None:
        self.mlist = mlist
        self.fingerprint = fingerprint


@public
class KeySetEvent(_KeyEvent):
    """A person sent a key for their address; it waits for its proof (unconfirmed)."""


@public
class KeyConfirmedEvent(_KeyEvent):
    """The holder of a key proved it: it is the address's confirmed key."""


@public
class KeyChangedEvent(_KeyEvent):
    """An address's confirmed key was replaced by another, proved key (``fingerprint``)."""


@public
class KeyRevokedEvent(_KeyEvent):
    """A revocation of an address's key (or a subkey of it) was recorded."""


@public
class ListKeyCertifiedEvent(_KeyEvent):
    """The key of ``email`` (``fingerprint``) certified the list's key."""


@public
class PGPListSettingsChangedEvent:
    """Settings of a PGP list changed (its policies and switches, or who may certify its key).

    ``changed`` names them, sorted, as REST's ``lists/<list_id>`` does; values are not
    carried: a consumer reads them from REST.
    """

    def __init__(self, mlist: IMailingList, changed: tuple[str, ...]) -> None:
        self.mlist = mlist
        self.changed = changed
