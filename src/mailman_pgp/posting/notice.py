"""Telling a post's author what became of it, by a short notice that never attaches the post.

Mailman's own rejection notice attaches the post, and its hold notice quotes the post's
Subject, to an address that may be forged; a PGP list instead sends a few sentences, and
by default only to authors with a confirmed key (``[posting] notify_senders_without_key``),
so that spam with forged senders draws no backscatter. Like all a PGP list sends one
person, a notice goes out encrypted to the author's confirmed key when there is one
(`mailman_pgp.mta.deliver.deliver_notice`).
"""

from __future__ import annotations

from collections.abc import Sequence

from mailman.email.message import UserNotification
from mailman.interfaces.mailinglist import IMailingList
from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.i18n import N_, translate
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager

REFUSED = N_("""\
Your message to the {list} mailing list ({posting}) was refused:

{reasons}

Nobody on the list received it, and it is not attached to this notice.
Questions about the list go to its owners at {owners}.
""")

UNDELIVERED = N_("""\
Your message to the {list} mailing list ({posting}), Message-ID {message_id},
was accepted, but the list could not deliver it:

{reasons}

It was kept on the server for the list's administrators, and it is not attached
to this notice. Questions about the list go to its owners at {owners}.
""")

HELD = N_("""\
Your message to the {list} mailing list ({posting}), Message-ID {message_id},
waits for a moderator's decision:

{reasons}

A moderator will approve, reject or discard it; it is not attached to this
notice. Questions about the list go to its owners at {owners}.
""")

NOT_PROCESSED = N_("""\
Your message to the {list} mailing list ({posting}), Message-ID {message_id},
could not be processed because of a problem on the list's server.

It was kept on the server, and the list's administrators can deliver it once the
problem is mended; it is not attached to this notice. Questions about the list go
to its owners at {owners}.
""")


@public
def may_tell(author: str) -> bool:
    """Whether ``author`` may be sent a notice: a confirmed key, or the site allows all."""
    if pgp_config().notify_senders_without_key:
        return True
    return bool(getUtility(IPGPAddressKeyManager).confirmed_for([author]))


@public
def tell_refused(mlist: IMailingList, author: str, reasons: Sequence[str]) -> None:
    """Send ``author`` the ``reasons`` (sentences) why their post to ``mlist`` was refused."""
    _send(mlist, author, N_("Your message to {list} was refused"), REFUSED, reasons)


@public
def tell_held(mlist: IMailingList, author: str, message_id: str,
              reasons: Sequence[str]) -> None:
    """Tell ``author`` that their post waits for a moderator, and why; never what it says."""
    _send(mlist, author, N_("Your message to {list} awaits moderator approval"), HELD,
          reasons, message_id=message_id)


@public
def tell_undelivered(mlist: IMailingList, author: str, message_id: str,
                     reasons: Sequence[str]) -> None:
    """Tell ``author`` that their accepted post could not be delivered, and why."""
    _send(mlist, author, N_("Your message to {list} was not delivered"), UNDELIVERED,
          reasons, message_id=message_id)


@public
def tell_not_processed(mlist: IMailingList, author: str, message_id: str) -> None:
    """Tell ``author`` that the server failed while checking their post, which was kept."""
    _send(mlist, author, N_("Your message to {list} is delayed"), NOT_PROCESSED, (),
          message_id=message_id)


IN_THE_CLEAR = N_("""\
Your message to the {list} mailing list ({posting}), Message-ID {message_id},
was not encrypted. The list accepts such messages and delivered it encrypted to
each member, but on its way from you to the list it travelled in the clear:
anyone on that path could read it. Encrypt your next messages to the list's key.
Questions about the list go to its owners at {owners}.
""")


@public
def tell_sent_in_clear(mlist: IMailingList, author: str, message_id: str) -> None:
    """Tell ``author`` that their plaintext post, accepted by the list's policy, travelled
    to the list in the clear."""
    _send(mlist, author, N_("Your message to {list} travelled unencrypted"), IN_THE_CLEAR, (),
          message_id=message_id)


def _send(mlist: IMailingList, author: str, subject: str, template: str,
          reasons: Sequence[str], **values: str) -> None:
    text = translate(template).format(
        list=mlist.display_name, posting=mlist.posting_address, owners=mlist.owner_address,
        reasons="\n".join(f"* {reason}" for reason in reasons), **values)
    notice = UserNotification(author, mlist.bounces_address,
                              translate(subject).format(list=mlist.display_name), text,
                              mlist.preferred_language)
    notice.send(mlist)
