"""Real Mailman operations that fire each event of Mailman 3.3.10, and a capture of them.

Shared by the serialization tests and the consumer guide's examples, so the guide shows
what real operations produce. Every function needs Mailman's test layers (``mailman``
fixture) and returns the objects a test needs to compute expected values itself.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mailman.app.lifecycle import create_list, remove_list
from mailman.app.moderator import handle_message
from mailman.config import config
from mailman.core.chains import process
from mailman.core.runner import Runner
from mailman.database.transaction import transaction
from mailman.interfaces.action import Action
from mailman.interfaces.domain import IDomainManager
from mailman.interfaces.mailinglist import SubscriptionPolicy
from mailman.interfaces.requests import IListRequests, RequestType
from mailman.interfaces.subscriptions import ISubscriptionManager
from mailman.interfaces.usermanager import IUserManager
from mailman.runners.incoming import IncomingRunner
from mailman.testing.helpers import (
    event_subscribers,
    make_testable_runner,
)
from mailman.testing.helpers import (
    specialized_message_from_string as message_from_string,
)
from zope.component import getUtility

from mailman_webhooks.configuration import webhooks_configuration
from mailman_webhooks.serialization import event_name, serialize_event

WANTS_ALL = "scenario: an endpoint that wants every event"

BODY = "The secret plans are in the attic.\n"


@dataclass
class Captured:
    """One event as fired, serialized at that moment both ways."""

    event: Any
    name: str
    plain: dict
    with_secrets: dict


@contextmanager
def capture() -> Iterator[list[Captured]]:
    """Serialize every event fired inside the block, when it fires (as the outbox does), with
    an endpoint that wants every event configured (its rows wait in the outbox)."""
    captured: list[Captured] = []

    def subscriber(event: Any) -> None:
        captured.append(
            Captured(
                event,
                event_name(event),
                serialize_event(event, include_secrets=False),
                serialize_event(event, include_secrets=True),
            )
        )

    # The plugin derives its own events only while some endpoint wants them.
    configuration = webhooks_configuration()
    configuration.push(WANTS_ALL, "[endpoint.every_event]\nurl: http://127.0.0.1:9/unused\n")
    try:
        with event_subscribers(subscriber):
            yield captured
    finally:
        configuration.pop(WANTS_ALL)


def post(mlist, sender: str, message_id: str, to: str | None = None):
    """A plain-text post to the list, with a body that must never reach a payload."""
    return message_from_string(
        f"From: {sender}\nTo: {to or mlist.posting_address}\nSubject: plans\n"
        f"Message-ID: {message_id}\n\n{BODY}"
    )


def make_list(fqdn_listname: str = "ant@example.com"):
    with transaction():
        return create_list(fqdn_listname)


def add_and_remove_domain(mail_host: str = "example.org") -> None:
    manager = getUtility(IDomainManager)
    with transaction():
        manager.add(mail_host)
    with transaction():
        manager.remove(mail_host)


def delete_list(mlist) -> None:
    with transaction():
        remove_list(mlist)


def subscribe_directly(mlist, email: str):
    """Subscribe a new address with nothing to confirm; returns the member."""
    address = getUtility(IUserManager).create_address(email)
    with transaction():
        ISubscriptionManager(mlist).register(
            address, pre_verified=True, pre_confirmed=True, pre_approved=True
        )
    return mlist.members.get_member(email)


def request_subscription(mlist, email: str) -> str:
    """Ask to subscribe on a list that wants confirmation; returns the token."""
    mlist.subscription_policy = SubscriptionPolicy.confirm
    address = getUtility(IUserManager).create_address(email)
    with transaction():
        token, _owner, _member = ISubscriptionManager(mlist).register(address)
    return token


def confirm(mlist, token: str):
    with transaction():
        return ISubscriptionManager(mlist).confirm(token)


def invite(mlist, email: str) -> str:
    address = getUtility(IUserManager).create_address(email)
    with transaction():
        token, _owner, _member = ISubscriptionManager(mlist).register(
            address, invitation=True
        )
    return token


def request_unsubscription(mlist, email: str) -> str:
    mlist.unsubscription_policy = SubscriptionPolicy.confirm
    address = getUtility(IUserManager).get_address(email)
    with transaction():
        token, _owner, _member = ISubscriptionManager(mlist).unregister(address)
    return token


def unsubscribe(member) -> None:
    with transaction():
        member.unsubscribe()


def change_password(email: str, password: str):
    """Create a user and set its password; returns the user."""
    with transaction():
        user = getUtility(IUserManager).create_user(email)
        user.password = password
    return user


def post_through_incoming(mlist, msg, **msgdata: Any) -> None:
    """Run a message through the real incoming runner and its posting or owner chain."""
    config.switchboards["in"].enqueue(msg, listid=mlist.list_id, **msgdata)
    runner = make_testable_runner(IncomingRunner, "in")
    runner.run()


def held_request_id(mlist) -> int:
    requests = IListRequests(mlist)
    (held,) = requests.of_type(RequestType.held_message)
    return held.id


def accept_held(mlist, request_id: int) -> None:
    with transaction():
        handle_message(mlist, request_id, Action.accept)


def run_chain(mlist, msg, chain: str) -> None:
    process(mlist, msg, {}, chain)


class CrashingRunner(Runner):
    """A runner whose message handling fails, as a bug in a runner would."""

    def _dispose(self, mlist, msg, msgdata):
        raise RuntimeError(f"crashed on {msg['message-id']}: {BODY}")


def crash_runner(mlist, msg) -> None:
    config.switchboards["in"].enqueue(msg, listid=mlist.list_id)
    runner = make_testable_runner(CrashingRunner, "in")
    runner.run()


def push_configuration() -> None:
    config.push("webhooks scenario", "[mailman]\nsite_owner: owner@example.com\n")
    config.pop("webhooks scenario")


def every_event() -> list[Captured]:
    """Fire each event class of Mailman 3.3.10 at least once, through real operations."""
    with capture() as captured:
        push_configuration()
        add_and_remove_domain("example.org")
        mlist = make_list("ant@example.com")
        subscribe_directly(mlist, "anne@example.com")
        token = request_subscription(mlist, "bart@example.com")
        confirm(mlist, token)
        invite(mlist, "cris@example.com")
        request_unsubscription(mlist, "anne@example.com")
        unsubscribe(mlist.members.get_member("bart@example.com"))
        change_password("dave@example.com", "correct horse battery staple")
        post_through_incoming(mlist, post(mlist, "zed@example.net", "<held@example.net>"))
        for chain in ("accept", "discard", "reject"):
            run_chain(mlist, post(mlist, "anne@example.com", f"<{chain}@example.net>"), chain)
        owner_post = post(mlist, "zed@example.net", "<owner@example.net>", mlist.owner_address)
        post_through_incoming(mlist, owner_post, to_owner=True)
        crash_runner(mlist, post(mlist, "anne@example.com", "<crash@example.net>"))
        delete_list(mlist)
    return captured
