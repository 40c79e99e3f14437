"""The rule of the policy case ``unknown_key``, one of the cases a PGP list has a policy for."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.policy import PolicyCaseRule


@public
@implementer(IRule)
class PGPUnknownKey(PolicyCaseRule):
    """See `IRule`: hits when the post is signed by a key that is not the author's
    confirmed key (`case_finding`). What a hit leads to is the list's
    ``unknown_key_action``, read by ``pgp-posting-chain``.
    """

    case = PolicyCase.unknown_key
    name = "pgp-unknown-key"
    description = N_("Catch posts to a PGP list not signed by the author's confirmed key.")
