"""The rule of the policy case ``revoked_key``, one of the cases a PGP list has a policy for."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.policy import PolicyCaseRule


@public
@implementer(IRule)
class PGPRevokedKey(PolicyCaseRule):
    """See `IRule`: hits when the post is signed by a revoked key (`case_finding`). What a
    hit leads to is the list's ``revoked_key_action``, read by ``pgp-posting-chain``.
    """

    case = PolicyCase.revoked_key
    name = "pgp-revoked-key"
    description = N_("Catch posts to a PGP list signed by a revoked key.")
