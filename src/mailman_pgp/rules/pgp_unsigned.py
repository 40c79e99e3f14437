"""The rule of the policy case ``unsigned``, one of the cases a PGP list has a policy for."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.policy import PolicyCaseRule


@public
@implementer(IRule)
class PGPUnsigned(PolicyCaseRule):
    """See `IRule`: hits when the post is not signed at all (`case_finding`). What a hit
    leads to is the list's ``unsigned_action``, read by ``pgp-posting-chain``.
    """

    case = PolicyCase.unsigned
    name = "pgp-unsigned"
    description = N_("Catch posts to a PGP list that are not signed.")
