# Test that Mailman's real events serialize to JSON-ready identifiers, with secrets redacted.

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.header import Header
from enum import Enum
from typing import Any, NamedTuple
from uuid import UUID

import pytest
from mailman.app.subscriptions import SubscriptionWorkflow
from mailman.config import config
from mailman.interfaces.usermanager import IUserManager
from mailman.model.member import Member
from mailman.testing.helpers import LogFileMark, call_api
from zope.component import getUtility
from zope.interface import Attribute, Interface, implementer

from mailman_plugin_kit.identity import declare_rest_identifier
from mailman_webhooks.serialization import (
    CHANGE_EVENTS,
    KNOWN_EVENTS,
    SECRET_ATTRIBUTES,
    event_name,
    secret_attributes,
    serialize_event,
)
from mailman_webhooks.tests import scenario


def _json_ready(payload: dict) -> dict:
    """The payload survives strict JSON encoding unchanged."""
    return json.loads(json.dumps(payload, allow_nan=False))


def _named(captured, name: str) -> list:
    return [entry for entry in captured if entry.name == name]


def _mailmans(captured) -> list:
    """The events Mailman fired, without those the plugin derives from its changes."""
    return [entry for entry in captured if entry.name not in CHANGE_EVENTS]


def _rest_hex(uuid: UUID) -> str:
    return str(uuid).replace("-", "")


# --- Real events from real operations ---------------------------------------------------


def test_domain_events_carry_mail_host(mailman):
    with scenario.capture() as captured:
        scenario.add_and_remove_domain("example.org")
    assert [(c.name, c.plain) for c in captured] == [
        ("DomainCreatingEvent", {"mail_host": "example.org"}),
        ("DomainCreatedEvent", {"domain": "example.org"}),
        ("DomainDeletingEvent", {"domain": "example.org"}),
        ("DomainDeletedEvent", {"mail_host": "example.org"}),
    ]
    assert all(_json_ready(c.plain) == c.plain for c in captured)


def test_list_events_carry_list_id_or_posting_address(mailman):
    with scenario.capture() as captured:
        mlist = scenario.make_list("ant@example.com")
        scenario.delete_list(mlist)
    assert [(c.name, c.plain) for c in captured] == [
        ("ListCreatingEvent", {"fqdn_listname": "ant@example.com"}),
        ("ListCreatedEvent", {"mailing_list": "ant.example.com"}),
        ("ListDeletingEvent", {"mailing_list": "ant.example.com"}),
        ("ListDeletedEvent", {"fqdn_listname": "ant@example.com"}),
    ]


def test_direct_subscription_carries_member_id_and_verified_email(mailman):
    mlist = scenario.make_list()
    with scenario.capture() as captured:
        member = scenario.subscribe_directly(mlist, "anne@example.com")
    captured = _mailmans(captured)
    assert [c.name for c in captured] == ["AddressVerificationEvent", "SubscriptionEvent"]
    verified_on = member.address.verified_on.isoformat()
    assert captured[0].plain == {"address": "anne@example.com", "verified_on": verified_on}
    assert captured[1].plain == {
        "mlist": "ant.example.com",
        "member": _rest_hex(member.member_id),
        "send_welcome_message": None,
        "email": "anne@example.com",
        "role": "member",
    }
    assert _json_ready(captured[1].plain) == captured[1].plain


def test_subscription_confirmation_token_is_a_secret(mailman):
    mlist = scenario.make_list()
    with scenario.capture() as captured:
        token = scenario.request_subscription(mlist, "bart@example.com")
    (needed,) = _mailmans(captured)
    assert needed.name == "SubscriptionConfirmationNeededEvent"
    assert needed.plain == {"mlist": "ant.example.com", "token": None, "email": "bart@example.com"}
    assert needed.with_secrets == {
        "mlist": "ant.example.com",
        "token": token,
        "email": "bart@example.com",
    }
    assert token not in json.dumps(needed.plain)
    with scenario.capture() as captured:
        scenario.confirm(mlist, token)
    member = mlist.members.get_member("bart@example.com")
    assert [c.name for c in _mailmans(captured)] == [
        "AddressVerificationEvent", "SubscriptionEvent"
    ]
    assert captured[1].plain["member"] == _rest_hex(member.member_id)
    assert all(token not in json.dumps(c.plain) for c in captured)


def test_invitation_token_is_a_secret(mailman):
    mlist = scenario.make_list()
    with scenario.capture() as captured:
        token = scenario.invite(mlist, "cris@example.com")
    (needed,) = _mailmans(captured)
    assert needed.name == "SubscriptionInvitationNeededEvent"
    assert needed.plain == {"mlist": "ant.example.com", "token": None, "email": "cris@example.com"}
    assert needed.with_secrets["token"] == token
    assert token not in json.dumps(needed.plain)


def test_unsubscription_confirmation_token_is_a_secret(mailman):
    mlist = scenario.make_list()
    scenario.subscribe_directly(mlist, "anne@example.com")
    with scenario.capture() as captured:
        token = scenario.request_unsubscription(mlist, "anne@example.com")
    (needed,) = captured
    assert needed.name == "UnsubscriptionConfirmationNeededEvent"
    assert needed.plain == {"mlist": "ant.example.com", "token": None, "email": "anne@example.com"}
    assert needed.with_secrets["token"] == token


def test_unsubscription_carries_the_leaving_member(mailman):
    mlist = scenario.make_list()
    member = scenario.subscribe_directly(mlist, "anne@example.com")
    member_hex = _rest_hex(member.member_id)
    with scenario.capture() as captured:
        scenario.unsubscribe(member)
    assert [(c.name, c.plain) for c in captured] == [
        ("UnsubscriptionEvent", {"mlist": "ant.example.com", "member": member_hex,
                                 "email": "anne@example.com", "role": "member"}),
    ]
    assert mlist.members.get_member("anne@example.com") is None


def test_password_change_carries_user_id_never_password(mailman):
    with scenario.capture() as captured:
        user = scenario.change_password("dave@example.com", "correct horse battery")
    (changed,) = _mailmans(captured)
    assert changed.name == "PasswordChangeEvent"
    assert changed.plain == changed.with_secrets == {"user": _rest_hex(user.user_id)}
    assert "correct horse" not in json.dumps(changed.with_secrets)
    assert user.password not in json.dumps(changed.with_secrets)


def test_held_message_carries_message_id_never_body(mailman):
    mlist = scenario.make_list()
    msg = scenario.post(mlist, "zed@example.net", "<held@example.net>")
    with scenario.capture() as captured:
        scenario.post_through_incoming(mlist, msg)
    held = _named(captured, "HoldEvent")
    assert len(held) == 1
    payload = held[0].with_secrets
    assert payload["mlist"] == "ant.example.com"
    assert payload["msg"] == "<held@example.net>"
    assert payload["chain"] == "hold"
    assert payload["msgdata"]["listid"] == "ant.example.com"
    assert payload["msgdata"]["moderation_sender"] == "zed@example.net"
    assert "nonmember-moderation" in payload["msgdata"]["rule_hits"]
    assert _json_ready(payload) == payload
    assert "secret plans" not in json.dumps(payload)
    # The sender became a nonmember on the way: that is a subscription event too.
    nonmember = mlist.nonmembers.get_member("zed@example.net")
    assert [c.plain["member"] for c in _named(captured, "SubscriptionEvent")] == [
        _rest_hex(nonmember.member_id)
    ]


def test_handling_a_held_message_fires_only_the_derived_decision(mailman):
    # Mailman 3.3.10 has no event for a moderator's decision; the plugin derives one.
    mlist = scenario.make_list()
    scenario.post_through_incoming(mlist, scenario.post(mlist, "zed@example.net", "<h@x>"))
    request_id = scenario.held_request_id(mlist)
    with scenario.capture() as captured:
        scenario.accept_held(mlist, request_id)
    assert [(c.name, c.plain) for c in captured] == [
        ("HeldMessageDecidedEvent",
         {"mlist": "ant.example.com", "request_id": request_id, "message_id": "<h@x>"}),
    ]


@pytest.mark.parametrize(
    "chain, name",
    [("accept", "AcceptEvent"), ("discard", "DiscardEvent"), ("reject", "RejectEvent")],
)
def test_chain_decision_carries_chain_name_and_message_id(mailman, chain, name):
    mlist = scenario.make_list()
    msg = scenario.post(mlist, "zed@example.net", f"<{chain}@example.net>")
    with scenario.capture() as captured:
        scenario.run_chain(mlist, msg, chain)
    (decided,) = _named(captured, name)
    assert decided.plain["mlist"] == "ant.example.com"
    assert decided.plain["msg"] == f"<{chain}@example.net>"
    assert decided.plain["chain"] == chain
    assert isinstance(decided.plain["msgdata"], dict)
    assert "secret plans" not in json.dumps(decided.plain)


def test_message_to_owner_carries_accept_owner_event(mailman):
    mlist = scenario.make_list()
    msg = scenario.post(mlist, "zed@example.net", "<owner@example.net>", to=mlist.owner_address)
    with scenario.capture() as captured:
        scenario.post_through_incoming(mlist, msg, to_owner=True)
    (accepted,) = _named(captured, "AcceptOwnerEvent")
    assert accepted.plain["msg"] == "<owner@example.net>"
    assert accepted.plain["chain"] == "default-owner-chain"
    assert accepted.plain["msgdata"]["to_owner"] is True
    assert "secret plans" not in json.dumps(accepted.plain)


def test_runner_crash_carries_error_class_not_its_text(mailman):
    mlist = scenario.make_list()
    msg = scenario.post(mlist, "zed@example.net", "<crash@example.net>")
    with scenario.capture() as captured:
        scenario.crash_runner(mlist, msg)
    (crash,) = captured
    assert crash.name == "RunnerCrashEvent"
    assert crash.with_secrets == {
        "runner": "in",
        "mailing_list": "ant.example.com",
        "message": "<crash@example.net>",
        "metadata": crash.with_secrets["metadata"],
        "error": "RuntimeError",
    }
    assert crash.with_secrets["metadata"]["listid"] == "ant.example.com"
    assert "secret plans" not in json.dumps(crash.with_secrets)
    assert "crashed on" not in json.dumps(crash.with_secrets)


def test_configuration_update_sends_no_configuration(mailman):
    with scenario.capture() as captured:
        scenario.push_configuration()
    assert [(c.name, c.with_secrets) for c in captured] == [
        ("ConfigurationUpdatedEvent", {"config": None}),
        ("ConfigurationUpdatedEvent", {"config": None}),
    ]
    assert config.webservice.admin_pass not in json.dumps([c.with_secrets for c in captured])


def test_identifiers_are_the_ones_rest_3_1_returns(rest_url):
    mlist = scenario.make_list()
    with scenario.capture() as captured:
        scenario.subscribe_directly(mlist, "anne@example.com")
    (subscribed,) = _named(captured, "SubscriptionEvent")
    content, _response = call_api(rest_url("3.1/members"))
    (entry,) = content["entries"]
    assert subscribed.plain["member"] == entry["member_id"]
    assert subscribed.plain["mlist"] == entry["list_id"]
    with scenario.capture() as captured:
        scenario.change_password("dave@example.com", "pw")
    content, _response = call_api(rest_url("3.1/users/dave@example.com"))
    assert captured[0].plain["user"] == content["user_id"]


def test_every_real_event_is_json_ready_without_body_or_tokens(mailman):
    captured = scenario.every_event()
    assert {c.name for c in _mailmans(captured)} == set(KNOWN_EVENTS)
    tokens = [c.with_secrets["token"] for c in captured if "token" in c.with_secrets]
    assert len(tokens) == 3 and all(tokens)
    for entry in captured:
        for payload in (entry.plain, entry.with_secrets):
            assert _json_ready(payload) == payload, entry.name
            assert "secret plans" not in json.dumps(payload), entry.name
        assert not any(token in json.dumps(entry.plain) for token in tokens), entry.name


# --- Broken and unknown values ------------------------------------------------------------


class ObjectEvent:
    """An event as another plugin might define one, carrying whatever it is given."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


class Opaque:
    """A value no rule knows."""


def test_deleted_row_is_sent_as_type_name_and_logged(mailman):
    mlist = scenario.make_list()
    member = scenario.subscribe_directly(mlist, "anne@example.com")
    # As when another process deleted the row: the next access reloads it, and raises.
    store = config.db.store
    store.query(Member).filter_by(id=member.id).delete(synchronize_session=False)
    store.commit()
    store.expire(member)
    mark = LogFileMark("mailman.plugins")
    payload = serialize_event(ObjectEvent(mlist=mlist, member=member), include_secrets=True)
    assert payload == {"mlist": "ant.example.com", "member": type(member).__name__}
    logged = mark.read()
    assert "ObjectEvent.member sent as Member" in logged
    assert "anne@example.com" not in logged


def test_raising_property_is_sent_as_null_and_logged(mailman):
    class BrokenEvent:
        def __init__(self):
            self.fine = 1

        @property
        def broken(self):
            raise KeyError("secret-detail")

    mark = LogFileMark("mailman.plugins")
    assert serialize_event(BrokenEvent(), include_secrets=True) == {"fine": 1, "broken": None}
    logged = mark.read()
    assert "BrokenEvent.broken sent as null (KeyError)" in logged
    assert "secret-detail" not in logged


def test_unknown_object_is_sent_as_type_name_and_logged(mailman):
    mark = LogFileMark("mailman.plugins")
    payload = serialize_event(ObjectEvent(thing=Opaque(), items=[Opaque()]), include_secrets=True)
    assert payload == {"thing": "Opaque", "items": ["Opaque"]}
    logged = mark.read()
    assert "ObjectEvent.thing sent as Opaque (no rule)" in logged
    assert "ObjectEvent.items[0] sent as Opaque (no rule)" in logged


def test_circular_and_deep_values_are_cut_and_logged(mailman):
    loop: list = []
    loop.append(loop)
    deep: list = []
    for _ in range(20):
        deep = [deep]
    mark = LogFileMark("mailman.plugins")
    payload = serialize_event(ObjectEvent(loop=loop, deep=deep), include_secrets=True)
    assert payload["loop"] == ["list"]
    assert _json_ready(payload) == payload
    logged = mark.read()
    assert "(circular)" in logged
    assert "(too deep)" in logged


def test_hostile_event_does_not_raise(mailman):
    class Hostile:
        def __getattribute__(self, name):
            raise RuntimeError("no")

    assert serialize_event(Hostile(), include_secrets=True) == {}


# --- Generic rules, as applied to other plugins' events -----------------------------------


class Colour(Enum):
    red = 1


@dataclass
class Fingerprint:
    value: str
    _internal: str = "hidden"


class Pair(NamedTuple):
    left: int
    right: int


@pytest.mark.parametrize(
    "value, expected",
    [
        (Colour.red, "red"),
        (datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05+00:00"),
        (date(2026, 1, 2), "2026-01-02"),
        (timedelta(days=3), "3d"),
        (timedelta(days=1, seconds=90, microseconds=500000), "1d90.5s"),
        (UUID(int=255), "000000000000000000000000000000ff"),
        ({"b", "a"}, ["a", "b"]),
        ((1, "x"), [1, "x"]),
        ({"kept": 1, "_private": 2, 3: "int key"}, {"kept": 1, "3": "int key"}),
        (b"raw body", "bytes"),
        (float("nan"), None),
        (1.5, 1.5),
        (Header("Sch\u00f6n", "utf-8"), "Sch\u00f6n"),
        (ValueError("text with secrets"), "ValueError"),
        (Fingerprint("ABCD"), {"value": "ABCD"}),
        (Pair(1, 2), {"left": 1, "right": 2}),
        (None, None),
        (True, True),
    ],
    ids=lambda value: type(value).__name__,
)
def test_value_rule(value, expected):
    payload = serialize_event(ObjectEvent(value=value), include_secrets=True)
    assert payload == {"value": expected}
    assert _json_ready(payload) == payload


def test_other_plugin_event_is_reduced_by_interface(mailman):
    class KeyConfirmedEvent:
        __webhook_secrets__ = ("passphrase",)

        def __init__(self, mlist, address, user):
            self.mlist = mlist
            self.address = address
            self.user = user
            self.fingerprint = Fingerprint("ABCD")
            self.confirmed_on = datetime(2026, 1, 2)
            self.token = "tok-123"
            self.passphrase = "open sesame"
            self.details = {"token": "tok-456", "algorithm": "ed25519"}
            self._cache = object()

    mlist = scenario.make_list()
    user = getUtility(IUserManager).create_user("erin@example.com")
    address = user.addresses[0]
    event = KeyConfirmedEvent(mlist, address, user)
    expected_redacted = {
        "mlist": "ant.example.com",
        "address": "erin@example.com",
        "user": _rest_hex(user.user_id),
        "fingerprint": {"value": "ABCD"},
        "confirmed_on": "2026-01-02T00:00:00",
        "token": None,
        "passphrase": None,
        "details": {"token": None, "algorithm": "ed25519"},
    }
    assert event_name(event) == "KeyConfirmedEvent"
    assert serialize_event(event, include_secrets=False) == expected_redacted
    assert serialize_event(event, include_secrets=True) == {
        **expected_redacted,
        "token": "tok-123",
        "passphrase": "open sesame",
        "details": {"token": "tok-456", "algorithm": "ed25519"},
    }


class IPluginThing(Interface):
    """An object of another plugin, which names itself in REST by ``thing_id``."""

    thing_id = Attribute("Its identifier in the plugin's REST API.")


declare_rest_identifier(IPluginThing, "thing_id")


@implementer(IPluginThing)
class PluginThing:
    thing_id = "thing-7"
    secret_half = "never sent"


def test_another_plugins_object_is_reduced_to_the_identifier_its_interface_declares(mailman):
    class ThingChangedEvent:
        def __init__(self):
            self.thing = PluginThing()

    assert serialize_event(ThingChangedEvent(), include_secrets=True) == {"thing": "thing-7"}


def test_pending_workflow_is_reduced_to_its_secret_token(mailman):
    mlist = scenario.make_list()
    address = getUtility(IUserManager).create_address("fred@example.com")
    workflow = SubscriptionWorkflow(mlist, address)
    workflow.token = "workflow-token"
    event = ObjectEvent(workflow=workflow)
    assert serialize_event(event, include_secrets=False) == {"workflow": None}
    assert serialize_event(event, include_secrets=True) == {"workflow": "workflow-token"}


def test_secret_attributes_include_declared_ones():
    class Declared:
        __webhook_secrets__ = ("passphrase",)

    class DeclaredAsOneName:
        __webhook_secrets__ = "passphrase"

    assert "token" in SECRET_ATTRIBUTES
    assert secret_attributes(Declared()) == SECRET_ATTRIBUTES | {"passphrase"}
    assert secret_attributes(DeclaredAsOneName()) == SECRET_ATTRIBUTES | {"passphrase"}
    assert secret_attributes(object()) == SECRET_ATTRIBUTES


@pytest.mark.parametrize("declaration", [42, ("passphrase", 42)], ids=["int", "mixed"])
def test_malformed_secret_declaration_sends_nothing(mailman, declaration):
    class Declared:
        __webhook_secrets__ = declaration

        def __init__(self):
            self.passphrase = "open sesame"

    with pytest.raises(TypeError):
        secret_attributes(Declared())
    mark = LogFileMark("mailman.plugins")
    assert serialize_event(Declared(), include_secrets=False) == {}
    assert "webhooks: Declared not serialized (TypeError)" in mark.read()


def test_non_finite_floats_never_reach_json():
    payload = serialize_event(ObjectEvent(values=[math.inf, -math.inf]), include_secrets=True)
    assert payload == {"values": [None, None]}
