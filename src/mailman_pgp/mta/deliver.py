"""The ``[mta] outgoing`` callable: PGP list posts go out encrypted, everything else as usual."""

from __future__ import annotations

import logging
import time
from email.message import Message
from typing import Any

from mailman.interfaces.bounce import BounceContext, IBounceProcessor
from mailman.interfaces.mta import SomeRecipientsFailed
from mailman.mta.deliver import deliver as mailman_deliver
from mailman.runners.outgoing import OutgoingRunner
from public import public
from zope.component import getUtility

from mailman_pgp.model import PGPMailingList
from mailman_pgp.mta.pgp_delivery import PGPDelivery
from mailman_pgp.posting.check import PostCheck

log = logging.getLogger("mailman.smtp")


@public
def deliver(mlist, msg: Message, msgdata: dict[str, Any]) -> None:
    """Deliver ``msg``: through `PGPDelivery` for a checked PGP list post, else Mailman's way.

    On a PGP list, Mailman's own notices (rejections, holds, welcome messages) go out
    as Mailman sends them; a post that did not pass the PGP posting chain is refused
    with `UndeliverablePost`, so it is shunted rather than sent in plaintext.
    Permanent failures of the copies are registered as bounces here, and temporary
    ones raised as `SomeRecipientsFailed` for the out runner to retry: Mailman 3.3.10's
    runner, given both kinds at once, queues a bounce notice for the retry instead of
    the post (it reuses its ``msg`` variable).
    """
    if mlist is None or PGPMailingList.for_list_id(mlist.list_id) is None:
        return mailman_deliver(mlist, msg, msgdata)
    if PostCheck.load(msgdata) is None and not msgdata.get("to_list"):
        return mailman_deliver(mlist, msg, msgdata)
    if not msgdata.get("recipients"):
        return None
    agent = PGPDelivery()
    started = time.monotonic()
    try:
        refused = agent.deliver(mlist, msg, msgdata)
    finally:
        # As Mailman's delivery does: no idle connection left to the MTA.
        agent._connection.quit()
    log.info(
        "%s pgp post to %s: %d recipients, %d refused, %.3f s",
        msg.get("message-id", "n/a"), mlist.list_id, len(msgdata["recipients"]),
        len(refused), time.monotonic() - started,
    )
    _handle_failures(mlist, refused)
    return None


def _handle_failures(mlist, refused: dict[str, tuple[int, str]]) -> None:
    """Register permanent refusals as bounces; raise temporary ones for a retry."""
    temporary: list[str] = []
    for recipient, (code, smtp_message) in refused.items():
        log.info("pgp delivery to %s refused: %s %s", recipient, code, smtp_message)
        # RFC 5321 4.5.3.1.10: 552 "too many recipients" is to be taken as temporary.
        if code >= 500 and code != 552:
            _register_bounce(mlist, recipient, code, smtp_message)
        else:
            temporary.append(recipient)
    if temporary:
        raise SomeRecipientsFailed(temporary, [])


def _register_bounce(mlist, recipient: str, code: int, smtp_message: str | bytes) -> None:
    """Register a permanent failure with the DSN Mailman's out runner would have made."""
    # _fake_dsn uses nothing of the runner it belongs to.
    dsn = OutgoingRunner._fake_dsn(None, mlist, recipient, code, smtp_message)
    getUtility(IBounceProcessor).register(mlist, recipient, dsn, BounceContext.normal)
