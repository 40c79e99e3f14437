"""Mailman events as JSON-ready dicts, each object reduced to the identifier REST 3.1 uses.

Events fire inside Mailman's own operations, before commit, so serialization never raises:
a value it cannot reduce is logged (its path and type, never its content) and sent as its
type name. Rules, first match wins:

* ``None``, ``bool``, ``int``, ``str`` as they are; non-finite floats as ``None``;
* enums -> their name; ``datetime``/``date``/``time`` -> ISO 8601 (naive ones are UTC, as in
  Mailman's REST API); ``timedelta`` -> REST's ``"<days>d<seconds>s"``; ``UUID`` -> hex;
* an email message -> its ``Message-ID`` header (never its body); ``bytes`` -> ``"bytes"``;
* objects by the Mailman interface they provide: mailing list -> ``list_id``, domain ->
  ``mail_host``, address -> ``email``, user -> ``user_id`` hex, member -> ``member_id`` hex,
  chain/rule/handler/pipeline/runner/archiver/style -> ``name``, language -> ``code``,
  the configuration -> ``None``; pended requests and workflows -> ``token`` (a secret);
  another plugin's objects by the attribute their interface declares
  (`mailman_plugin_kit.identity`), e.g. a PGP list -> ``list_id``;
* exceptions -> their class name (the text may quote what it should not);
* mappings -> dicts without keys starting with ``_``; lists, tuples, sets -> lists;
  dataclasses and named tuples -> dicts of their public fields.

Some of Mailman's events get fields their class lacks, read when the event fires (see
`ADDED_FIELDS`): a membership event says the member's address and role (the member is gone
once an `UnsubscriptionEvent` commits), `AddressVerificationEvent` says ``verified_on``, and
`HoldEvent` the held message's ``request_id``. The message metadata of chain and crash events
(``msgdata``, ``metadata``) never carries ``recipients``, the addresses of a list's members.

Secrets: an attribute or mapping key named in `SECRET_ATTRIBUTES`, or in the event class's
``__webhook_secrets__`` (a name or a tuple of names), and any value reduced to a token, is
``None`` unless the caller passes ``include_secrets=True``. An event whose declaration is
malformed is sent with no fields at all, since its secrets cannot be told apart.
"""

import dataclasses
import email.message
import functools
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from datetime import date, time, timedelta
from email.header import Header
from enum import Enum
from typing import Any
from uuid import UUID

from mailman.app.workflow import Workflow
from mailman.config import config
from mailman.interfaces.address import AddressVerificationEvent, IAddress
from mailman.interfaces.archiver import IArchiver
from mailman.interfaces.chain import HoldEvent, IChain
from mailman.interfaces.configuration import IConfiguration
from mailman.interfaces.domain import IDomain
from mailman.interfaces.handler import IHandler
from mailman.interfaces.languages import ILanguage
from mailman.interfaces.mailinglist import IMailingList
from mailman.interfaces.member import IMember, MembershipChangeEvent
from mailman.interfaces.pending import IPended
from mailman.interfaces.pipeline import IPipeline
from mailman.interfaces.requests import RequestType
from mailman.interfaces.rules import IRule
from mailman.interfaces.runner import IRunner
from mailman.interfaces.styles import IStyle
from mailman.interfaces.user import IUser
from mailman.interfaces.workflow import IWorkflowState
from mailman.model.requests import _Request
from public import public
from sqlalchemy import select

from mailman_plugin_kit.identity import rest_identifier
from mailman_webhooks.serialize.catalog import CHANGE_EVENTS, KNOWN_EVENTS, EventSpec

__all__ = [
    "CHANGE_EVENTS",
    "KNOWN_EVENTS",
    "EventSpec",
]

log = logging.getLogger("mailman.plugins")

SECRET_ATTRIBUTES: frozenset[str] = frozenset(
    {"token", "password", "secret", "secret_key", "private_key", "api_key"}
)
public(SECRET_ATTRIBUTES=SECRET_ATTRIBUTES)

SECRETS_DECLARATION = "__webhook_secrets__"
"""Class attribute by which another plugin's event names further secret attributes."""
public(SECRETS_DECLARATION=SECRETS_DECLARATION)

MAX_DEPTH = 8
"""Nesting deeper than this (containers in containers) is sent as a type name."""

_PRIMITIVES = (str, int, bool, type(None))


def _hex(uuid: UUID | None) -> str | None:
    return None if uuid is None else uuid.hex


def _name(obj: Any) -> Any:
    return obj.name


# Objects reduced to the identifier Mailman's REST API uses for them, by interface.
_BY_INTERFACE: tuple[tuple[Any, Callable[[Any], Any]], ...] = (
    (IMailingList, lambda obj: obj.list_id),
    (IDomain, lambda obj: obj.mail_host),
    (IAddress, lambda obj: obj.email),
    (IUser, lambda obj: _hex(obj.user_id)),
    (IMember, lambda obj: _hex(obj.member_id)),
    (IChain, _name),
    (IRule, _name),
    (IHandler, _name),
    (IPipeline, _name),
    (IRunner, _name),
    (IArchiver, _name),
    (IStyle, _name),
    (ILanguage, lambda obj: obj.code),
    (IConfiguration, lambda obj: None),
)


def _member_email(event: Any) -> Any:
    address = event.member.address
    return None if address is None else address.email


def _held_request_id(event: Any) -> Any:
    """The id of the request `hold_message` just made for the event's message (REST's
    ``request_id`` under ``/3.1/lists/{list_id}/held``)."""
    query = (
        select(_Request.id)
        .where(
            _Request.mailing_list_id == event.mlist.id,
            _Request.request_type == RequestType.held_message,
            _Request.key == event.msg.get("message-id"),
        )
        .order_by(_Request.id.desc())
        .limit(1)
    )
    return config.db.store.execute(query).scalar()


ADDED_FIELDS: tuple[tuple[type, tuple[tuple[str, Callable[[Any], Any]], ...]], ...] = (
    (MembershipChangeEvent, (("email", _member_email), ("role", lambda e: e.member.role))),
    (AddressVerificationEvent, (("verified_on", lambda e: e.address.verified_on),)),
    (HoldEvent, (("request_id", _held_request_id),)),
)
"""Fields added to Mailman's events of these classes, read when they fire."""
public(ADDED_FIELDS=ADDED_FIELDS)

METADATA_ATTRIBUTES = frozenset({"msgdata", "metadata"})
METADATA_LEFT_OUT = frozenset({"recipients"})
"""Keys of message metadata never sent: ``recipients`` lists a list's members."""


@public
class Serialized:
    """An event already serialized, to be recorded later (after Mailman's rollback).

    `event_name` and `serialize_event` give back what it was made with, so capture records
    it like the event itself.
    """

    def __init__(self, event: Any) -> None:
        self.name = event_name(event)
        self.plain = serialize_event(event, include_secrets=False)
        self.with_secrets = serialize_event(event, include_secrets=True)


class _CannotReduce(Exception):
    """No rule applies, or nesting is too deep or circular."""


@public
def event_name(event: Any) -> str:
    """The name webhooks use for an event: its class name, e.g. ``SubscriptionEvent``."""
    if type(event) is Serialized:
        return event.name
    return type(event).__name__


@public
def secret_attributes(event: Any) -> frozenset[str]:
    """The attribute names that are secrets in this event (at any depth).

    Raises TypeError when the event class's ``__webhook_secrets__`` is not a name or a
    collection of names.
    """
    declared = getattr(type(event), SECRETS_DECLARATION, ())
    names = (declared,) if isinstance(declared, str) else tuple(declared)
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"{SECRETS_DECLARATION} of {event_name(event)} holds a non-name")
    return SECRET_ATTRIBUTES | frozenset(names)


@public
def serialize_event(event: Any, *, include_secrets: bool) -> dict[str, Any]:
    """Every public attribute of the event, reduced to JSON-ready values; never raises."""
    if type(event) is Serialized:
        return dict(event.with_secrets if include_secrets else event.plain)
    result: dict[str, Any] = {}
    try:
        serializer = _Serializer(event, include_secrets)
    except Exception as error:
        # Which attributes are secrets is unknown: send none of them (fail closed).
        log.error("webhooks: %s not serialized (%s)", event_name(event), type(error).__name__)
        return result
    try:
        for name, getter in _public_attributes(event):
            result[name] = serializer.attribute(name, getter)
        for klass, fields in ADDED_FIELDS:
            if isinstance(event, klass):
                for name, read in fields:
                    result[name] = serializer.attribute(name, functools.partial(read, event))
    except Exception as error:
        # Listing the attributes itself failed (a hostile __dict__ or __slots__).
        log.error("webhooks: attributes of %s not listed (%s)", serializer.event,
                  type(error).__name__)
    return result


_CLASS_ATTRIBUTES: dict[type, tuple[str, ...]] = {}


def _class_attributes(klass: type) -> tuple[str, ...]:
    """The slots and properties of a class and its bases: the same for each of its events,
    so found once per class (event classes are few)."""
    found = _CLASS_ATTRIBUTES.get(klass)
    if found is None:
        names: list[str] = []
        for each in klass.__mro__:
            slots = each.__dict__.get("__slots__", ())
            names.extend([slots] if isinstance(slots, str) else slots)
        for each in klass.__mro__:
            names.extend(key for key, value in vars(each).items() if isinstance(value, property))
        found = _CLASS_ATTRIBUTES[klass] = tuple(names)
    return found


def _public_attributes(obj: Any) -> Iterator[tuple[str, Callable[[], Any]]]:
    """Names and getters of the public instance attributes, slots and properties."""
    seen: set[str] = set()
    names: list[str] = list(getattr(obj, "__dict__", {}))
    names.extend(_class_attributes(type(obj)))
    for name in names:
        if name.startswith("_") or name in seen:
            continue
        seen.add(name)
        yield name, functools.partial(getattr, obj, name)


class _Serializer:
    """One event's serialization: its secrets, and the log lines for what is not reduced."""

    def __init__(self, event: Any, include_secrets: bool) -> None:
        self.event = event_name(event)
        self.include_secrets = include_secrets
        self.secrets = secret_attributes(event)

    def attribute(self, name: str, getter: Callable[[], Any]) -> Any:
        if name in self.secrets and not self.include_secrets:
            return None
        try:
            value = getter()
        except Exception as error:
            self._not_reduced(name, None, error)
            return None
        if name in METADATA_ATTRIBUTES and isinstance(value, Mapping):
            value = {key: item for key, item in value.items() if key not in METADATA_LEFT_OUT}
        return self.value(value, name, 0, frozenset())

    def value(self, value: Any, path: str, depth: int, seen: frozenset[int]) -> Any:
        try:
            return self._reduce(value, path, depth, seen)
        except Exception as error:
            self._not_reduced(path, value, error)
            return type(value).__name__

    def _not_reduced(self, path: str, value: Any, error: Exception) -> None:
        reason = str(error) if isinstance(error, _CannotReduce) else type(error).__name__
        sent = "null" if value is None else type(value).__name__
        log.warning("webhooks: %s.%s sent as %s (%s)", self.event, path, sent, reason)

    def _reduce(self, value: Any, path: str, depth: int, seen: frozenset[int]) -> Any:
        if isinstance(value, Enum):
            return value.name
        if isinstance(value, _PRIMITIVES):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, date | time):
            return value.isoformat()
        if isinstance(value, timedelta):
            return _rest_timedelta(value)
        if isinstance(value, UUID):
            return value.hex
        if isinstance(value, email.message.Message):
            message_id = value.get("message-id")
            return None if message_id is None else str(message_id).strip()
        if isinstance(value, Header):
            return str(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return "bytes"
        if isinstance(value, BaseException):
            return type(value).__name__
        if IPended.providedBy(value) or IWorkflowState.providedBy(value) or isinstance(
            value, Workflow
        ):
            return self._identifier(value.token, path, depth, seen, secret=True)
        for interface, reduce in _BY_INTERFACE:
            if interface.providedBy(value):
                return self._identifier(reduce(value), path, depth, seen, secret=False)
        declared = rest_identifier(value)
        if declared is not None:
            return self._identifier(declared[1], path, depth, seen, secret=False)
        return self._nested(value, path, depth, seen)

    def _identifier(
        self, value: Any, path: str, depth: int, seen: frozenset[int], *, secret: bool
    ) -> Any:
        if secret and not self.include_secrets:
            return None
        if isinstance(value, _PRIMITIVES):
            return value
        return self.value(value, path, depth + 1, seen)

    def _nested(self, value: Any, path: str, depth: int, seen: frozenset[int]) -> Any:
        is_record = dataclasses.is_dataclass(value) and not isinstance(value, type)
        is_named_tuple = isinstance(value, tuple) and hasattr(value, "_fields")
        if not (is_record or is_named_tuple or isinstance(value, Mapping | list | tuple | set
                                                          | frozenset)):
            raise _CannotReduce("no rule")
        if depth >= MAX_DEPTH:
            raise _CannotReduce("too deep")
        if id(value) in seen:
            raise _CannotReduce("circular")
        seen = seen | {id(value)}
        if is_record:
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return self._mapping(fields, path, depth, seen)
        if is_named_tuple:
            return self._mapping(value._asdict(), path, depth, seen)
        if isinstance(value, Mapping):
            return self._mapping(value, path, depth, seen)
        items = [
            self.value(item, f"{path}[{index}]", depth + 1, seen)
            for index, item in enumerate(value)
        ]
        if isinstance(value, set | frozenset) and all(isinstance(item, str) for item in items):
            items.sort()
        return items

    def _mapping(
        self, mapping: Mapping[Any, Any], path: str, depth: int, seen: frozenset[int]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in mapping.items():
            if isinstance(key, Enum):
                key = key.name
            elif isinstance(key, int) and not isinstance(key, bool):
                key = str(key)
            if not isinstance(key, str):
                self._not_reduced(f"{path}.<key>", key, _CannotReduce("key left out"))
                continue
            if key.startswith("_"):
                continue
            if key in self.secrets and not self.include_secrets:
                result[key] = None
                continue
            result[key] = self.value(item, f"{path}.{key}", depth + 1, seen)
        return result


def _rest_timedelta(value: timedelta) -> str:
    """The form Mailman's REST API gives durations: ``"3d"`` or ``"0d90.5s"``."""
    if value.seconds > 0 or value.microseconds > 0:
        return f"{value.days}d{value.seconds + value.microseconds / 1000000.0}s"
    return f"{value.days}d"
