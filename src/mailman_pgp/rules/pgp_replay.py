"""The rule of the policy case ``replay``, one of the cases a PGP list has a policy for."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.policy import PolicyCaseRule


@public
@implementer(IRule)
class PGPReplay(PolicyCaseRule):
    """See `IRule`: hits when the post is signed with a signature the list accepted before,
    or made outside the replay window (`case_finding`). What a hit leads to is the
    list's ``replay_action``, read by ``pgp-posting-chain``. The window is the plugin's
    ``[posting] replay_window``; signatures are remembered
    (`mailman_pgp.model.seen_signature`) only once a post is accepted for delivery, by
    the ``pgp-checked-post`` handler.
    """

    case = PolicyCase.replay
    name = "pgp-replay"
    description = N_("Catch posts to a PGP list that replay a signature.")
