"""The terminal chain that refuses a post to a PGP list, telling its author why in a few lines."""

import logging

from mailman.chains.base import TerminalChainBase
from mailman.core.i18n import format_reasons
from mailman.interfaces.chain import RejectEvent
from public import public
from zope.event import notify

from mailman_pgp.i18n import N_
from mailman_pgp.posting.author import AmbiguousAuthor, post_author
from mailman_pgp.posting.notice import may_tell, tell_refused

log = logging.getLogger("mailman.vette")


@public
class PGPRejectChain(TerminalChainBase):
    """See `IChain`: like Mailman's ``reject``, without attaching the post or backscatter.

    The notice goes to the post's author (of a post without one author, Mailman's
    sender) only if `may_tell` allows it; it gives the reasons the rules recorded and
    never attaches the post. Either way vette.log says
    what was refused and why, and `RejectEvent` is announced as Mailman's chain does.
    """

    name = "pgp-reject"
    description = N_("Refuse a post to a PGP list and tell its author why, without the post.")

    def _process(self, mlist, msg, msgdata) -> None:
        """See `TerminalChainBase`."""
        reasons = format_reasons(msgdata.get("moderation_reasons") or [])
        try:
            author: str | None = post_author(msg)
        except AmbiguousAuthor:
            # Mailman's pick among the senders (the first valid From address).
            author = msg.sender or None
        told = False
        if author is not None and may_tell(author):
            tell_refused(mlist, author, reasons)
            told = True
        log.info(
            "PGP REJECT: %s %s from %s%s: %s", mlist.list_id,
            msg.get("message-id", "n/a").strip(), author or "(no single author)",
            "" if told else " (not told)", " ".join(reasons) or "(no reason recorded)")
        notify(RejectEvent(mlist, msg, msgdata, self))
