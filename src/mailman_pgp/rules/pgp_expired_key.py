"""The rule of the policy case ``expired_key``, one of the cases a PGP list has a policy for."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.policy import PolicyCaseRule


@public
@implementer(IRule)
class PGPExpiredKey(PolicyCaseRule):
    """See `IRule`: hits when the post is signed by a key that is expired now or was when
    it signed (`case_finding`). What a hit leads to is the list's
    ``expired_key_action``, read by ``pgp-posting-chain``.
    """

    case = PolicyCase.expired_key
    name = "pgp-expired-key"
    description = N_("Catch posts to a PGP list signed by an expired key.")
