"""The rule that holds a post the PGP check could not read within the time limit."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.posting import reasons
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.posting.refusal import refuse


@public
@implementer(IRule)
class PGPTooSlow:
    """See `IRule`: hits when the PGP check (`PostCheck`) ran out of ``[sop] timeout``.

    The post may be hostile, or the server merely busy: it is held, with the reason, and a
    moderator's approval has it read once more (``pgp-recheck-chain``).
    """

    name = "pgp-too-slow"
    description = N_("Hold posts to a PGP list that could not be read in time.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        check = PostCheck.load(msgdata)
        if check is None or check.outcome is not CheckOutcome.TIMED_OUT:
            return False
        refuse(msgdata, msg, reasons.TIMED_OUT, check.detail or "")
        return True
