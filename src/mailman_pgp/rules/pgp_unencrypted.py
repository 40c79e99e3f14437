"""The rule of the policy case ``unencrypted``, one of the cases a PGP list has a policy for."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.policy import unencrypted_finding
from mailman_pgp.posting.refusal import refuse


@public
@implementer(IRule)
class PGPUnencrypted:
    """See `IRule`: hits when the post is not encrypted to the list key (neither PGP/MIME
    nor inline PGP). What a hit leads to is the list's ``unencrypted_action``, read by
    ``pgp-posting-chain``. Judged from the post as it arrived, so the chain may ask it
    before the PGP check (a list that refuses such posts reads nothing of them) or after it.
    """

    case = PolicyCase.unencrypted
    name = "pgp-unencrypted"
    description = N_("Catch posts to a PGP list that are not encrypted.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        found = unencrypted_finding(msg)
        if found is None:
            return False
        refuse(msgdata, msg, found.reason, *found.values)
        return True
