"""Events for changes Mailman 3.3.10 makes without firing an event of its own.

`mailman_webhooks.model_changes` derives them from the rows Mailman's session writes and
fires them through `zope.event` just before Mailman's transaction commits, so that they
are recorded like Mailman's own events and vanish with a rolled-back change. Every field is
a plain value taken while the object still existed (an identifier as Mailman's REST API 3.1
writes it), so an event about a deleted object still says what it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from public import public


@public
@dataclass(frozen=True)
class ListSettingsChangedEvent:
    """Settings of a mailing list changed; ``changed`` names them as REST's list config does."""

    mlist: str
    changed: list[str]


@public
@dataclass(frozen=True)
class MemberChangedEvent:
    """A membership's moderation, address or delivery preferences changed."""

    mlist: str
    member: str
    email: str | None
    role: str
    changed: list[str]


@public
@dataclass(frozen=True)
class MemberDisabledByBouncesEvent:
    """Bounce processing stopped delivery to a member (``delivery_status`` ``by_bounces``)."""

    mlist: str
    member: str
    email: str | None
    role: str
    bounce_score: int | None


@public
@dataclass(frozen=True)
class SubscriptionRequestApprovedEvent:
    """A moderator approved a request waiting for them: to join, or to leave, a list."""

    mlist: str
    email: str
    request: str
    token: str


@public
@dataclass(frozen=True)
class SubscriptionRequestRejectedEvent:
    """A moderator rejected or discarded a request waiting for them (Mailman keeps no
    record of which of the two)."""

    mlist: str
    email: str
    request: str
    token: str


@public
@dataclass(frozen=True)
class HeldMessageDecidedEvent:
    """A held post left the moderation queue: accepted, rejected or discarded."""

    mlist: str
    request_id: int
    message_id: str


@public
@dataclass(frozen=True)
class BanAddedEvent:
    """An address (or a pattern starting with ``^``) was banned from a list or the site."""

    mlist: str | None
    email: str


@public
@dataclass(frozen=True)
class BanRemovedEvent:
    """A ban was lifted."""

    mlist: str | None
    email: str


@public
@dataclass(frozen=True)
class UserCreatedEvent:
    """A user was created."""

    user: str


@public
@dataclass(frozen=True)
class UserDeletedEvent:
    """A user was deleted (with its addresses and memberships, announced on their own)."""

    user: str


@public
@dataclass(frozen=True)
class AddressCreatedEvent:
    """An email address became known to Mailman."""

    address: str
    user: str | None


@public
@dataclass(frozen=True)
class AddressDeletedEvent:
    """An email address was deleted (with its memberships, announced on their own)."""

    address: str
