"""The rule that catches a post the PGP check could not open, saying why."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.posting import reasons
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.posting.refusal import refuse

# The sentence for each outcome but OPENED; the record's detail fills in its {}.
_REASONS = {
    CheckOutcome.NO_LIST_KEY: reasons.LIST_HAS_NO_KEY,
    CheckOutcome.NO_AUTHOR: reasons.AMBIGUOUS_AUTHOR,
    CheckOutcome.NOT_ENCRYPTED: reasons.NOT_ENCRYPTED,
    CheckOutcome.MALFORMED: reasons.MALFORMED,
    CheckOutcome.UNDECRYPTABLE: reasons.UNDECRYPTABLE,
    CheckOutcome.TOO_LARGE: reasons.PLAINTEXT_TOO_LARGE,
}
# The outcomes that set a post aside (`PostCheck.set_aside`) are held by the rules before
# this one in the chains; should one reach it, it is refused as not checked.


@public
@implementer(IRule)
class PGPNotDecryptable:
    """See `IRule`: hits unless the PGP check (`PostCheck`) opened the post.

    Reads the record the check step of ``pgp-posting-chain`` left; without one the post
    was never checked, and is refused.
    """

    name = "pgp-not-decryptable"
    description = N_("Catch posts to a PGP list that the list's key cannot decrypt.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        check = PostCheck.load(msgdata)
        if check is None:
            refuse(msgdata, msg, reasons.NOT_CHECKED)
            return True
        if check.opened:
            return False
        reason = _REASONS.get(check.outcome, reasons.NOT_CHECKED)
        if "{}" in reason:
            refuse(msgdata, msg, reason, check.detail or "")
        else:
            refuse(msgdata, msg, reason)
        return True
