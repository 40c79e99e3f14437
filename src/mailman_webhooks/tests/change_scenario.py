"""Real Mailman operations that fire each event of `mailman_webhooks.change_events`.

Used by the consumer guide's examples (``test_consumer_docs``), beside `scenario`, which
does the same for Mailman's own events. Needs Mailman's test layers (``mailman`` fixture).
"""

from mailman.app.moderator import handle_message
from mailman.database.transaction import transaction
from mailman.interfaces.action import Action
from mailman.interfaces.bans import IBanManager
from mailman.interfaces.bounce import BounceContext, IBounceProcessor
from mailman.interfaces.mailinglist import SubscriptionPolicy
from mailman.interfaces.member import DeliveryMode
from mailman.interfaces.pending import IPendings
from mailman.interfaces.subscriptions import ISubscriptionManager
from mailman.interfaces.usermanager import IUserManager
from zope.component import getUtility

from mailman_webhooks.tests import scenario


def moderated_request(mlist, email: str) -> str:
    """Ask to join a list whose moderator approves subscriptions; returns the token."""
    mlist.subscription_policy = SubscriptionPolicy.moderate
    address = getUtility(IUserManager).create_address(email)
    with transaction():
        token, _owner, _member = ISubscriptionManager(mlist).register(address, pre_verified=True)
    return token


def every_change() -> list[scenario.Captured]:
    """Fire each change event at least once, through real operations."""
    manager = getUtility(IUserManager)
    with scenario.capture() as captured:
        mlist = scenario.make_list("ant@example.com")
        with transaction():
            mlist.display_name = "Ants"
            mlist.description = "All about ants"
        member = scenario.subscribe_directly(mlist, "anne@example.com")
        with transaction():
            member.preferences.delivery_mode = DeliveryMode.mime_digests
        processor = getUtility(IBounceProcessor)
        bounce_msg = scenario.post(mlist, "mailer-daemon@example.com", "<bounce@example.com>")
        with transaction():
            bounce = processor.register(mlist, "anne@example.com", bounce_msg,
                                        BounceContext.probe)
        with transaction():
            processor.process_event(bounce)
        approved = moderated_request(mlist, "bart@example.com")
        with transaction():
            ISubscriptionManager(mlist).confirm(approved)
        rejected = moderated_request(mlist, "cris@example.com")
        with transaction():
            getUtility(IPendings).confirm(rejected, expunge=True)
        scenario.post_through_incoming(
            mlist, scenario.post(mlist, "zed@example.net", "<held@example.net>")
        )
        with transaction():
            handle_message(mlist, scenario.held_request_id(mlist), Action.discard)
        with transaction():
            IBanManager(mlist).ban("spam@example.net")
        with transaction():
            IBanManager(mlist).unban("spam@example.net")
        with transaction():
            user = manager.create_user("dave@example.com")
        with transaction():
            manager.delete_user(user)
    return captured
