# Test that a PGP list's posting pipeline picks the same recipients as Mailman's
# member-recipients for every kind of member (delivery mode and status set on the member, the
# address or the user; subscribed by address or as a user; a sender who does not want their own
# posts; owners, moderators and nonmembers), in a number of queries that does not grow with the
# membership; and that Mailman's avoid-duplicates after it still drops the list copy of a member
# named in Cc who asked for no duplicates; and that an Urgent: header is removed and logged.

import gc
from contextlib import contextmanager

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.handlers.member_recipients import MemberRecipients
from mailman.interfaces.member import DeliveryMode, DeliveryStatus, MemberRole
from mailman.interfaces.usermanager import IUserManager
from mailman.testing.helpers import LogFileMark, specialized_message_from_string
from mailman.utilities.datetime import now
from sqlalchemy import event
from zope.component import getUtility

from mailman_pgp.handlers.pgp_member_recipients import PGPMemberRecipients
from mailman_pgp.pipelines.pgp_posting_pipeline import BODY_HANDLERS

# Who is on the list and how; the address's local part says what each should get.
MEMBERS = {
    # (level the preference is set on, preference, value)
    "plain": [],
    "member-nomail": [("member", "delivery_status", DeliveryStatus.by_user)],
    "address-bounced": [("address", "delivery_status", DeliveryStatus.by_bounces)],
    "user-nomail": [("user", "delivery_status", DeliveryStatus.by_moderator)],
    "user-nomail-member-enabled": [("user", "delivery_status", DeliveryStatus.by_user),
                                   ("member", "delivery_status", DeliveryStatus.enabled)],
    "member-digest": [("member", "delivery_mode", DeliveryMode.mime_digests)],
    "address-digest": [("address", "delivery_mode", DeliveryMode.plaintext_digests)],
    "user-digest": [("user", "delivery_mode", DeliveryMode.summary_digests)],
    "user-digest-member-regular": [("user", "delivery_mode", DeliveryMode.mime_digests),
                                   ("member", "delivery_mode", DeliveryMode.regular)],
    "not-own-member": [("member", "receive_own_postings", False)],
    "not-own-user": [("user", "receive_own_postings", False)],
    "no-duplicates": [("member", "receive_list_copy", False)],
}
# Subscribed as a user (through the user's preferred address) rather than by address.
AS_USER = {"user-nomail", "user-digest", "user-digest-member-regular", "not-own-user"}
# Addresses with no user at all.
WITHOUT_USER = {"plain", "member-digest", "not-own-member"}


def email(name: str) -> str:
    return f"{name}@example.com"


@pytest.fixture
def mlist(mailman):
    users = getUtility(IUserManager)
    with transaction():
        mlist = create_list("crypt@example.com")
        for name, preferences in MEMBERS.items():
            if name in WITHOUT_USER:
                address = users.create_address(email(name))
                user = None
            else:
                user = users.create_user(email(name))
                address = next(iter(user.addresses))
            address.verified_on = now()
            if name in AS_USER:
                assert user is not None
                user.preferred_address = address
            member = mlist.subscribe(user if name in AS_USER else address)
            for level, preference, value in preferences:
                holder = {"member": member, "address": address, "user": user}[level]
                setattr(holder.preferences, preference, value)
        for role in (MemberRole.owner, MemberRole.moderator, MemberRole.nonmember):
            mlist.subscribe(users.create_address(email(f"{role.name}-only")), role)
    return mlist


def post(sender: str, **headers: str):
    extra = "".join(f"{name}: {value}\n" for name, value in headers.items())
    return specialized_message_from_string(
        f"From: {sender}\nTo: crypt@example.com\n{extra}Subject: hi\n"
        f"Message-ID: <one@example.com>\n\nHello.\n")


def pipeline_handler(name: str):
    """The handler the PGP posting pipeline runs in the place of Mailman's ``name``."""
    stock = [handler.name for handler in config.pipelines["default-posting-pipeline"]]
    ours = [handler for handler in config.pipelines["pgp-posting-pipeline"]
            if handler.name not in ("pgp-archiver-rows", "pgp-checked-post")]
    kept = [handler for handler in stock if handler not in BODY_HANDLERS]
    return ours[kept.index(name)]


@contextmanager
def counted_queries():
    """The list the number of SQL statements run in the block is appended to."""
    counted = []
    statements = 0

    def count(*_args):
        nonlocal statements
        statements += 1

    event.listen(config.db.engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(config.db.engine, "before_cursor_execute", count)
        counted.append(statements)


def recipients(handler, mlist, msg, msgdata=None):
    """What ``handler`` leaves in msgdata['recipients'] (or the exception it raises),
    starting, as a runner does after a commit, from a session that holds nothing loaded."""
    config.db.store.expire_all()
    gc.collect()
    msgdata = {} if msgdata is None else msgdata
    try:
        handler.process(mlist, msg, msgdata)
    except Exception as error:  # Mailman's own handler fails on some posts; so must ours.
        return type(error)
    return set(msgdata["recipients"])


@pytest.mark.parametrize("sender", [email("plain"), email("not-own-member"),
                                    email("not-own-user"), email("member-nomail"),
                                    email("owner-only"), "stranger@example.org"])
def test_the_same_recipients_as_mailmans_handler(mlist, sender):
    msg = post(sender)
    ours = recipients(pipeline_handler("member-recipients"), mlist, msg)
    assert isinstance(pipeline_handler("member-recipients"), PGPMemberRecipients)
    assert ours == recipients(MemberRecipients(), mlist, msg)
    expected = {email(name) for name in ("plain", "user-nomail-member-enabled",
                                         "user-digest-member-regular", "not-own-member",
                                         "not-own-user", "no-duplicates")}
    # Only a sender who asked not to receive their own posts is left out.
    assert ours == expected - ({sender} & {email("not-own-member"), email("not-own-user")})


def test_an_urgent_post_goes_to_the_usual_recipients_its_header_removed(mlist):
    # Mailman 3.3.10's Urgent: support calls methods its list no longer has.
    assert recipients(MemberRecipients(), mlist, post(email("plain"), Urgent="secret")) \
        is AttributeError
    msg = post(email("plain"), Urgent="secret")
    mark = LogFileMark("mailman.vette")
    assert recipients(PGPMemberRecipients(), mlist, msg) == recipients(
        MemberRecipients(), mlist, post(email("plain")))
    assert "urgent" not in msg
    logged = mark.read()
    assert "its Urgent header was removed" in logged
    assert "secret" not in logged


def test_recipients_already_set_are_kept_without_a_query(mlist):
    msgdata = {"recipients": {"someone@example.org"}}
    with counted_queries() as counted:
        assert recipients(PGPMemberRecipients(), mlist, post(email("plain")), msgdata) == {
            "someone@example.org"}
    assert counted == [0]


def test_the_queries_do_not_grow_with_the_members(mlist):
    msg = post(email("plain"))
    with counted_queries() as ours:
        recipients(pipeline_handler("member-recipients"), mlist, msg)
    with counted_queries() as mailmans:
        recipients(MemberRecipients(), mlist, msg)
    # The list (expired by the commit), the sender's membership, the members with their
    # preferences, and the roster's own query of the members.
    assert ours[0] <= 4
    assert mailmans[0] > len(MEMBERS)


def test_a_member_named_in_cc_who_wants_no_duplicates_gets_no_list_copy(mlist):
    msg = post(email("plain"), Cc=f"{email('no-duplicates')}, {email('not-own-member')}")
    msgdata: dict = {}
    for name in ("member-recipients", "avoid-duplicates"):
        pipeline_handler(name).process(mlist, msg, msgdata)
    assert email("no-duplicates") not in msgdata["recipients"]
    assert email("not-own-member") in msgdata["recipients"]
    assert msgdata["add-dup-header"] == {email("not-own-member")}
    # Mailman's handler takes out of Cc those it sends no list copy to.
    assert msg["cc"] == email("not-own-member")
