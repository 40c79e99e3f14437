"""The rule that catches a post larger than the list accepts, before anything is decrypted."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.posting import reasons
from mailman_pgp.posting.refusal import refuse


@public
@implementer(IRule)
class PGPTooLarge:
    """See `IRule`: hits when the post as it arrived is over the list's ``max_message_size``.

    Mailman's own ``max-size`` rule holds such a post for a moderator, but only after the
    PGP rules have decrypted it; ``pgp-posting-chain`` holds it first, undecrypted. A
    moderator's approval has it checked then (``pgp-recheck-chain``).
    """

    name = "pgp-too-large"
    description = N_("Hold posts to a PGP list over the list's max_message_size, unread.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        limit_kb = mlist.max_message_size
        if not limit_kb:
            return False
        size = getattr(msg, "original_size", None) or len(msg.as_bytes())
        if size <= limit_kb * 1024:
            return False
        refuse(msgdata, msg, reasons.TOO_LARGE, str(-(-size // 1024)), str(limit_kb))
        return True
