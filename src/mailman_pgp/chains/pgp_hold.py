"""The terminal chain that holds a post to a PGP list for its moderators, who can read it.

Mailman's ``hold`` mails the list's -owner address a notice with the post attached, as it
is: to the moderators of a PGP list that is ciphertext to the list key, which they cannot
read. It also tells the sender, quoting the post's Subject.
"""

import logging

from mailman.app.moderator import hold_message
from mailman.app.replybot import can_acknowledge
from mailman.chains.base import TerminalChainBase
from mailman.chains.hold import autorespond_to_sender
from mailman.config import config
from mailman.core.i18n import _, format_reasons
from mailman.interfaces.chain import HoldEvent
from mailman.interfaces.member import DeliveryStatus
from public import public
from zope.event import notify

from mailman_pgp.errors import PGPError
from mailman_pgp.i18n import N_
from mailman_pgp.mime import MIMEError
from mailman_pgp.posting.author import AmbiguousAuthor, post_author
from mailman_pgp.posting.held_notice import keyless_notice, readable_notice
from mailman_pgp.posting.held_post import HeldPostClosed, ReadableHeldPost, read_held_post
from mailman_pgp.posting.notice import may_tell, tell_held
from mailman_pgp.posting.sealed import send_sealed, usable_keys

log = logging.getLogger("mailman.vette")
error_log = logging.getLogger("mailman.error")

SEMISPACE = "; "


@public
class PGPHoldChain(TerminalChainBase):
    """See `IChain`: Mailman's ``hold`` for a PGP list, whose moderators read what they hold.

    The post is held as Mailman holds it (``hold_message``: the message store keeps it
    as it arrived, encrypted) and `HoldEvent` is announced. If the list notifies its
    moderators (``admin_immed_notify``), each one Mailman's -owner address reaches
    (owners and moderators with delivery enabled, else the site owner) is told: one with
    a usable confirmed key gets the post decrypted, in a notice signed by the list and
    encrypted to that key before it is queued; the others learn only that a post waits
    and how to set a key. The author is told it waits, without its Subject, under
    Mailman's conditions (``respond_to_post_requests``, its daily limit) and `may_tell`.
    """

    name = "pgp-hold"
    description = N_("Hold a post to a PGP list; its moderators get it encrypted to them.")

    def _process(self, mlist, msg, msgdata) -> None:
        """See `TerminalChainBase`."""
        for key, header in (("rule_hits", "X-Mailman-Rule-Hits"),
                            ("rule_misses", "X-Mailman-Rule-Misses")):
            if msgdata.get(key):
                msg[header] = SEMISPACE.join(msgdata[key])
        with _.using(mlist.preferred_language.code):
            reasons = format_reasons(msgdata.get("moderation_reasons") or ["n/a"])
        request_id = hold_message(mlist, msg, msgdata, SEMISPACE.join(reasons))
        try:
            author = post_author(msg)
        except AmbiguousAuthor:
            author = msg.sender
        message_id = msg.get("message-id", "n/a").strip()
        if (author and not msgdata.get("fromusenet") and can_acknowledge(msg)
                and mlist.respond_to_post_requests and may_tell(author)
                and autorespond_to_sender(mlist, author)):
            tell_held(mlist, author, message_id, reasons)
        if mlist.admin_immed_notify:
            notify_moderators(mlist, msg, msgdata, request_id, author or "-", reasons)
        with _.using("en"):
            log.info("PGP HOLD: %s post from %s held, message-id=%s: %s", mlist.list_id,
                     author, message_id,
                     SEMISPACE.join(format_reasons(msgdata.get("moderation_reasons")
                                                   or ["N/A"])))
        notify(HoldEvent(mlist, msg, msgdata, self))


@public
def moderator_addresses(mlist) -> list[str]:
    """Whom Mailman's -owner address reaches: owners and moderators with delivery enabled,
    or, without any, the site owner (Mailman's ``owner-recipients`` handler)."""
    addresses = sorted({admin.address.email for admin in mlist.administrators.members
                        if admin.delivery_status == DeliveryStatus.enabled})
    return addresses or [config.mailman.site_owner]


@public
def notify_moderators(mlist, msg, msgdata, request_id: int, author: str,
                      reasons: list[str]) -> None:
    """Tell each moderator of ``mlist`` that ``msg`` waits, as `PGPHoldChain` describes."""
    recipients = moderator_addresses(mlist)
    keys = usable_keys(recipients)
    keyless = [address for address in recipients if address.lower() not in keys]
    if keys:
        try:
            keyless += _send_readable(mlist, msg, msgdata, request_id, author, reasons, keys)
        except PGPError as error:
            error_log.error("%s: the moderators' notice of held message %s could not be"
                            " encrypted; they are told without it: %s", mlist.list_id,
                            request_id, error)
            keyless += [address for address in recipients if address.lower() in keys]
    for address in keyless:
        keyless_notice(mlist, address, request_id).send(mlist)


def _send_readable(mlist, msg, msgdata, request_id, author, reasons, keys) -> list[str]:
    """Seal the notice with the post to each key; the addresses that could not take it."""
    post: ReadableHeldPost | None
    try:
        post, why = read_held_post(mlist, msg, msgdata), None
    except HeldPostClosed as closed:
        post, why = None, str(closed)
    try:
        sealed = send_sealed(mlist, readable_notice(mlist, request_id, author, reasons, post,
                                                    why), keys)
    except MIMEError as error:
        # The post cannot be signed as it is (send_sealed queued nothing): tell without it.
        sealed = send_sealed(mlist, readable_notice(
            mlist, request_id, author, reasons, None,
            f"it cannot be attached as it is: {error}"), keys)
    for address, problem in sealed.unusable.items():
        log.info("%s: held message %s: no encrypted notice for %s: %s", mlist.list_id,
                 request_id, address, problem)
    return list(sealed.unusable)
