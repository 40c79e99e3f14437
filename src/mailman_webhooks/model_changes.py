"""Derive `mailman_webhooks.change_events` from what Mailman's session writes.

Mailman 3.3.10 fires no event for list settings, membership preferences, moderators'
decisions, bans, or users and addresses coming and going. Its session does see each of
these rows change, so this module watches it: ``before_flush`` notes what each flush
inserts, updates and deletes (while the old values and deleted rows are still readable),
``after_flush_postexec`` reads what it needs of the inserted rows once they have their
keys, and ``before_commit`` turns the notes of the whole transaction into events fired through
`zope.event`, where capture records them in the same transaction. A rollback drops the
notes with the change. An object created and deleted, or created and changed, in one
transaction is announced once, by its creation (or not at all), never twice.

The notes hold no inserted object past its flush: kept alive, an object keeps its
relationships as they were loaded, where Mailman's code counts on a fresh load once it
lets go of the object (`User.absorb` sets ``Member.user_id`` under a loaded ``_user``;
Mailman's own test of it failed with the plugin on).

Nothing here raises into Mailman: a failure is logged by class name and the commit goes on.
While no endpoint wants any of these events, nothing is noted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy.event
from mailman.interfaces.member import DeliveryStatus, MemberRole
from mailman.interfaces.requests import RequestType
from mailman.model.address import Address
from mailman.model.bans import Ban
from mailman.model.mailinglist import AcceptableAlias, HeaderMatch, ListArchiver, MailingList
from mailman.model.member import Member
from mailman.model.pending import Pended
from mailman.model.preferences import Preferences
from mailman.model.requests import _Request
from mailman.model.user import User
from mailman.utilities.datetime import now as mailman_now
from public import public
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, SessionTransaction
from zope.event import notify

from mailman_webhooks.change_events import (
    AddressCreatedEvent,
    AddressDeletedEvent,
    BanAddedEvent,
    BanRemovedEvent,
    HeldMessageDecidedEvent,
    ListSettingsChangedEvent,
    MemberChangedEvent,
    MemberDisabledByBouncesEvent,
    SubscriptionRequestApprovedEvent,
    SubscriptionRequestRejectedEvent,
    UserCreatedEvent,
    UserDeletedEvent,
)
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.serialize.catalog import CHANGE_EVENTS

log = logging.getLogger("mailman.plugins")

NOTES = "mailman_webhooks.model_changes"
"""Key of the transaction's notes in ``Session.info``."""

# Columns of a mailing list that Mailman itself moves as mail flows; not settings.
LIST_BOOKKEEPING = frozenset({
    "id", "created_at", "digest_last_sent_at", "last_post_at", "next_digest_number",
    "next_request_id", "post_id", "usenet_watermark", "volume",
})
# Settings kept in rows of their own, by the name REST gives them.
LIST_SETTING_ROWS: dict[type, str] = {
    AcceptableAlias: "acceptable_aliases",
    HeaderMatch: "header_matches",
    ListArchiver: "archivers",
}
# What of a membership row a consumer cares about, by REST's name: not bounce bookkeeping.
MEMBER_ATTRIBUTES: dict[str, str] = {
    "role": "role",
    "moderation_action": "moderation_action",
    "address_id": "address",
    "_address": "address",
    "user_id": "user",
    "_user": "user",
}
MODERATED_REQUESTS = frozenset({"subscription", "unsubscription"})


@dataclass
class _ModeratedRequest:
    """A request a moderator was to decide, as it was when its token was deleted."""

    list_id: str
    email: str
    kind: str
    token: str


@dataclass(frozen=True)
class _Created:
    """What an inserted row announces, read after its flush: its event, or for a
    membership the (list, email, role) a moderator's approval is matched against."""

    event: Any = None
    member_key: tuple[str, str | None, str] | None = None
    # An address's user is often linked in a later flush: read at commit.
    address_id: Any = None


@dataclass
class _Notes:
    """What one transaction changed, gathered flush by flush, in order. Inserted rows are
    held only until their flush ends (`_after_flush`), then known by identity."""

    inserted: list[Any] = field(default_factory=list)
    created: dict[tuple[type, Any], _Created] = field(default_factory=dict)
    deleted: dict[Any, Any] = field(default_factory=dict)
    settings: dict[Any, set[str]] = field(default_factory=dict)
    members: dict[Any, set[str]] = field(default_factory=dict)
    bounced: dict[Any, None] = field(default_factory=dict)
    requests: list[_ModeratedRequest] = field(default_factory=list)
    held: list[HeldMessageDecidedEvent] = field(default_factory=list)
    deleted_members: set[tuple[str, str | None, str]] = field(default_factory=set)
    deleted_lists: set[str] = field(default_factory=set)


def _hex(uuid: Any) -> str:
    return str(uuid.hex)


def _changed(obj: Any, keys: Iterable[str]) -> Iterator[str]:
    """The attribute keys of ``obj`` whose value this flush writes anew."""
    state = inspect(obj)
    for key in keys:
        if state.attrs[key].history.has_changes():
            yield key


_COLUMN_NAMES: dict[type, dict[str, str]] = {}


def _column_names(obj: Any) -> dict[str, str]:
    """Attribute key -> column name (REST's name, e.g. ``preferred_language``), read from
    the mapping once per model class."""
    names = _COLUMN_NAMES.get(type(obj))
    if names is None:
        names = {prop.key: prop.columns[0].name for prop in inspect(type(obj)).column_attrs}
        _COLUMN_NAMES[type(obj)] = names
    return names


def _member_email(member: Any) -> str | None:
    address = member.address
    return None if address is None else str(address.email)


def _member_key(member: Any) -> tuple[str, str | None, str]:
    return (member.list_id, _member_email(member), member.role.name)


def _pended_request(pended: Any) -> _ModeratedRequest | None:
    """The moderator's request a deleted token stood for, or None for any other token."""
    values = {kv.key: kv.value for kv in pended.key_values}
    kind = values.get("type")
    if kind not in MODERATED_REQUESTS:
        return None
    try:
        owner, list_id, email = (json.loads(values[k]) for k in ("token_owner", "list_id",
                                                                  "email"))
    except (KeyError, ValueError):
        return None
    if owner != "moderator":
        return None
    if pended.expiration_date is not None and pended.expiration_date < mailman_now():
        # Evicted after its lifetime: nobody decided anything.
        return None
    return _ModeratedRequest(list_id, email, kind, pended.token)


def _identity(obj: Any) -> tuple[type, Any]:
    """The class and primary key of a persistent (flushed) object."""
    return (type(obj), inspect(obj).identity)


def _note_new(session: Session, notes: _Notes, obj: Any) -> None:
    if isinstance(obj, User | Address | Member | MailingList | Ban):
        notes.inserted.append(obj)
    elif type(obj) in LIST_SETTING_ROWS and obj.mailing_list is not None:
        notes.settings.setdefault(obj.mailing_list, set()).add(LIST_SETTING_ROWS[type(obj)])


def _note_deleted(session: Session, notes: _Notes, obj: Any) -> None:
    if isinstance(obj, User):
        notes.deleted[obj] = UserDeletedEvent(_hex(obj.user_id))
    elif isinstance(obj, Address):
        notes.deleted[obj] = AddressDeletedEvent(obj.email)
    elif isinstance(obj, Ban):
        notes.deleted[obj] = BanRemovedEvent(obj.list_id, obj.email)
    elif isinstance(obj, MailingList):
        notes.deleted[obj] = None
        notes.deleted_lists.add(obj.list_id)
    elif isinstance(obj, Member):
        notes.deleted[obj] = None
        notes.deleted_members.add(_member_key(obj))
    elif isinstance(obj, Pended):
        request = _pended_request(obj)
        if request is not None:
            notes.requests.append(request)
    elif isinstance(obj, _Request) and obj.request_type is RequestType.held_message:
        notes.held.append(HeldMessageDecidedEvent(obj.mailing_list.list_id, obj.id, obj.key))
    elif type(obj) in LIST_SETTING_ROWS and obj.mailing_list is not None:
        notes.settings.setdefault(obj.mailing_list, set()).add(LIST_SETTING_ROWS[type(obj)])


def _note_dirty(session: Session, notes: _Notes, obj: Any) -> None:
    if isinstance(obj, MailingList):
        names = _column_names(obj)
        keys = {names[key] for key in _changed(obj, names)} - LIST_BOOKKEEPING
        if keys:
            notes.settings.setdefault(obj, set()).update(keys)
    elif isinstance(obj, Member):
        keys = {MEMBER_ATTRIBUTES[key] for key in _changed(obj, MEMBER_ATTRIBUTES)}
        if keys:
            notes.members.setdefault(obj, set()).update(keys)
    elif isinstance(obj, Preferences):
        _note_preferences(session, notes, obj)
    elif type(obj) in LIST_SETTING_ROWS and obj.mailing_list is not None:
        if any(_changed(obj, _column_names(obj))):
            notes.settings.setdefault(obj.mailing_list, set()).add(LIST_SETTING_ROWS[type(obj)])


def _note_preferences(session: Session, notes: _Notes, preferences: Any) -> None:
    names = _column_names(preferences)
    keys = {names[key] for key in _changed(preferences, names)}
    if not keys:
        return
    # Addresses and users have preferences too; only a membership's are announced.
    member = session.execute(
        select(Member).where(Member.preferences_id == preferences.id)
    ).scalars().first()
    if member is None:
        return
    history = inspect(preferences).attrs["delivery_status"].history
    if DeliveryStatus.by_bounces in history.added and (
        DeliveryStatus.by_bounces not in history.deleted
    ):
        notes.bounced[member] = None
        keys.discard("delivery_status")
    if keys:
        notes.members.setdefault(member, set()).update(keys)


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    try:
        if NOTES not in session.info and not webhooks_settings().wants_any(CHANGE_EVENTS):
            # No endpoint wants these events: nothing to note (nor to announce).
            return
        notes = session.info.setdefault(NOTES, _Notes())
        for obj in session.new:
            _note_new(session, notes, obj)
        for obj in session.deleted:
            _note_deleted(session, notes, obj)
        for obj in session.dirty:
            _note_dirty(session, notes, obj)
    except Exception as error:
        log.error("webhooks: changes of a flush not noted (%s)", type(error).__name__)


def _created(obj: Any) -> _Created:
    if isinstance(obj, User):
        return _Created(UserCreatedEvent(_hex(obj.user_id)))
    if isinstance(obj, Address):
        return _Created(address_id=obj.id)
    if isinstance(obj, Ban):
        return _Created(BanAddedEvent(obj.list_id, obj.email))
    if isinstance(obj, Member):
        return _Created(member_key=_member_key(obj))
    return _Created()


def _after_flush(session: Session, flush_context: Any) -> None:
    notes = session.info.get(NOTES)
    if notes is None or not notes.inserted:
        return
    try:
        for obj in notes.inserted:
            notes.created[_identity(obj)] = _created(obj)
    except Exception as error:
        log.error("webhooks: rows of a flush not noted (%s)", type(error).__name__)
    finally:
        notes.inserted.clear()


def _events(session: Session, notes: _Notes) -> Iterator[Any]:
    """The events of a transaction's notes: creations, changes, decisions, deletions."""
    gone = notes.deleted
    gone_keys = {_identity(obj) for obj in gone}
    created = [entry for key, entry in notes.created.items() if key not in gone_keys]
    yield from (entry.event for entry in created if isinstance(entry.event, UserCreatedEvent))
    for entry in created:
        address = None if entry.address_id is None else session.get(Address, entry.address_id)
        if address is not None:
            yield AddressCreatedEvent(address.email, None if address.user is None
                                      else _hex(address.user.user_id))
    yield from (entry.event for entry in created if isinstance(entry.event, BanAddedEvent))
    for mlist, keys in notes.settings.items():
        if _identity(mlist) not in notes.created and mlist not in gone:
            yield ListSettingsChangedEvent(mlist.list_id, sorted(keys))
    for member, keys in notes.members.items():
        if _identity(member) not in notes.created and member not in gone:
            email, role = _member_email(member), member.role.name
            yield MemberChangedEvent(member.list_id, _hex(member.member_id), email, role,
                                     sorted(keys))
    for member in notes.bounced:
        if member not in gone:
            yield MemberDisabledByBouncesEvent(
                member.list_id, _hex(member.member_id), _member_email(member),
                member.role.name, member.bounce_score,
            )
    yield from _decisions(notes, created)
    for held in notes.held:
        if held.mlist not in notes.deleted_lists:
            yield held
    for obj, event in gone.items():
        if event is not None and _identity(obj) not in notes.created:
            yield event


def _decisions(notes: _Notes, created: list[_Created]) -> Iterator[Any]:
    """Approved when the membership asked for came or went in the same transaction."""
    joined = {entry.member_key for entry in created if entry.member_key is not None}
    for request in notes.requests:
        if request.list_id in notes.deleted_lists:
            continue
        wanted = (request.list_id, request.email, MemberRole.member.name)
        done = joined if request.kind == "subscription" else notes.deleted_members
        event = (SubscriptionRequestApprovedEvent if wanted in done
                 else SubscriptionRequestRejectedEvent)
        yield event(request.list_id, request.email, request.kind, request.token)


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        # Note what the commit's own flush would write, while it can still be announced.
        # Its errors are the commit's: they propagate as they would have from the commit.
        session.flush()
    try:
        notes = session.info.pop(NOTES, None)
        if notes is None:
            return
        events = list(_events(session, notes))
    except Exception as error:
        log.error("webhooks: changes of a transaction not announced (%s)",
                  type(error).__name__)
        return
    for event in events:
        notify(event)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(NOTES, None)


LISTENERS = (
    ("before_flush", _before_flush),
    # Not after_flush: inserted objects have their identity only once it has run.
    ("after_flush_postexec", _after_flush),
    ("before_commit", _before_commit),
    ("after_transaction_end", _after_transaction_end),
)


@public
def watch(target: Any) -> None:
    """Derive events from the sessions ``target`` (Mailman's sessionmaker) makes; idempotent."""
    for name, listener in LISTENERS:
        if not sqlalchemy.event.contains(target, name, listener):
            sqlalchemy.event.listen(target, name, listener)
