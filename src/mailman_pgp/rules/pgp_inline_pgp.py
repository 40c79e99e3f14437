"""The rule of the policy case ``inline_pgp``, one of the cases a PGP list has a policy for."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.policy import PolicyCaseRule


@public
@implementer(IRule)
class PGPInlinePgp(PolicyCaseRule):
    """See `IRule`: hits when the post is inline PGP (armored text in the body) rather than
    PGP/MIME (`case_finding`). What a hit leads to is the list's ``inline_pgp_action``,
    read by ``pgp-posting-chain``.
    """

    case = PolicyCase.inline_pgp
    name = "pgp-inline-pgp"
    description = N_("Catch inline PGP posts to a PGP list.")
