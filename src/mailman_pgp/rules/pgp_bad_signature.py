"""The rule of the policy case ``bad_signature``, one of the cases a PGP list has a policy for."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.policy import PolicyCaseRule


@public
@implementer(IRule)
class PGPBadSignature(PolicyCaseRule):
    """See `IRule`: hits when the post is signed, but the signature does not verify
    (altered or damaged) (`case_finding`). What a hit leads to is the list's
    ``bad_signature_action``, read by ``pgp-posting-chain``.
    """

    case = PolicyCase.bad_signature
    name = "pgp-bad-signature"
    description = N_("Catch posts to a PGP list whose signature does not verify.")
