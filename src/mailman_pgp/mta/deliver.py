"""The ``[mta] outgoing`` callable: PGP list posts go out encrypted, all other mail as before."""

from __future__ import annotations

from email.message import Message
from typing import Any

from public import public
from zope.component import getUtility

from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.mta.mailman_deliver import deliver_with
from mailman_pgp.mta.pgp_delivery import PGPDelivery
from mailman_pgp.mta.site_outgoing import site_outgoing
from mailman_pgp.posting.check import PostCheck


@public
def deliver(mlist, msg: Message, msgdata: dict[str, Any]) -> None:
    """Deliver a PGP list post by `PGPDelivery`, and all other mail by the site's callable.

    The site's callable is the ``[mta] outgoing`` configured before the plugin's
    (`site_outgoing`): Mailman's stock ``deliver`` unless the site had its own. On a
    PGP list, Mailman's own notices (rejections, holds, welcome messages) go to it
    too; a post that did not pass the PGP posting chain is refused with
    `UndeliverablePost`, so it is shunted rather than sent in plaintext. Posts go
    through Mailman's own delivery code (`deliver_with`), so they are logged and
    retried as on any other list.
    """
    if not _is_pgp_post(mlist, msgdata):
        site_outgoing()(mlist, msg, msgdata)
        return
    deliver_with(PGPDelivery(), mlist, msg, msgdata)


def _is_pgp_post(mlist, msgdata: dict[str, Any]) -> bool:
    """A post to a PGP list: checked by the PGP posting chain, or at least sent to the list."""
    if mlist is None or getUtility(IPGPListManager).get(mlist.list_id) is None:
        return False
    return PostCheck.load(msgdata) is not None or bool(msgdata.get("to_list"))
