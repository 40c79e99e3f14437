"""The rule that holds a post larger once decrypted than the list accepts unapproved."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.posting import reasons
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.posting.refusal import refuse


@public
@implementer(IRule)
class PGPPlaintextOverListLimit:
    """See `IRule`: hits when the PGP check stopped at the list's own plaintext limit
    (``[limits] plaintext_size_factor`` times its ``max_message_size``).

    As Mailman holds a post over ``max_message_size``, the post is held; a moderator's
    approval has it read up to the site's ``max_plaintext_size`` (``pgp-recheck-chain``).
    """

    name = "pgp-plaintext-over-list-limit"
    description = N_("Hold posts to a PGP list larger once decrypted than the list accepts.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        check = PostCheck.load(msgdata)
        if check is None or check.outcome is not CheckOutcome.OVER_LIST_LIMIT:
            return False
        refuse(msgdata, msg, reasons.OVER_LIST_LIMIT, check.detail or "")
        return True
