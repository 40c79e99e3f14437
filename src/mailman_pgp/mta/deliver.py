"""The ``[mta] outgoing`` callable: PGP list posts go out encrypted, everything else as usual."""

from __future__ import annotations

import logging
import time
from email.message import Message
from typing import Any

from mailman.interfaces.mta import SomeRecipientsFailed
from mailman.mta.deliver import deliver as mailman_deliver
from public import public

from mailman_pgp.model import PGPMailingList
from mailman_pgp.mta.pgp_delivery import PGPDelivery, UndeliverablePost
from mailman_pgp.posting.check import PostCheck

log = logging.getLogger("mailman.smtp")


@public
def deliver(mlist, msg: Message, msgdata: dict[str, Any]) -> None:
    """Deliver ``msg``: through `PGPDelivery` for a checked PGP list post, else Mailman's way.

    On a PGP list, Mailman's own notices (rejections, holds, welcome messages) go out
    as Mailman sends them; a post that did not pass the PGP posting chain is refused
    with `UndeliverablePost`, so it is shunted rather than sent in plaintext.
    Failures are raised as `SomeRecipientsFailed`, as Mailman's delivery does, so the
    out runner retries temporary ones and registers permanent ones as bounces.
    """
    if mlist is None or PGPMailingList.for_list_id(mlist.list_id) is None:
        return mailman_deliver(mlist, msg, msgdata)
    if PostCheck.load(msgdata) is None:
        if msgdata.get("to_list"):
            raise UndeliverablePost(
                f"Post {msg.get('message-id', 'n/a')} to the PGP list {mlist.list_id} did "
                "not pass the PGP posting chain; it is not delivered."
            )
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
    _raise_failures(refused)
    return None


def _raise_failures(refused: dict[str, tuple[int, str]]) -> None:
    """Sort refusals into permanent and temporary ones, as Mailman's delivery does."""
    temporary: list[str] = []
    permanent: list[tuple[str, int, str]] = []
    for recipient, (code, smtp_message) in refused.items():
        # RFC 5321 4.5.3.1.10: 552 "too many recipients" is to be taken as temporary.
        if code >= 500 and code != 552:
            permanent.append((recipient, code, smtp_message))
        else:
            temporary.append(recipient)
        log.info("pgp delivery to %s refused: %s %s", recipient, code, smtp_message)
    if temporary or permanent:
        raise SomeRecipientsFailed(temporary, permanent)
