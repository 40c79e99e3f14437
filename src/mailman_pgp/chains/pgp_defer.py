"""The chain a PGP policy's ``defer`` leads to: Mailman's moderation, as if no case hit."""

from collections.abc import Iterator, MutableMapping
from typing import Any

from mailman.chains.base import Link
from mailman.interfaces.chain import IChain, LinkAction
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_

DEFERRED_KEY = "pgp_deferred_case"


@public
@implementer(IChain)
class PGPDeferChain:
    """See `IChain`: forgets the hit of the policy rule that led here, then continues in
    Mailman's ``default-posting-chain``.

    Mailman's moderation holds any post with a recorded rule hit (its ``any`` rule), so
    the case's hit, and the reason it recorded, are taken back (the rule's name is kept
    in msgdata under ``pgp_deferred_case`` for the record) and Mailman's own rules decide
    alone. The remaining PGP cases are not asked.
    """

    name = "pgp-defer"
    description = N_("Leave a post to a PGP list to Mailman's moderation, as its policy says.")

    def get_links(self, mlist, msg, msgdata) -> Iterator[Link]:
        """See `IChain`."""
        return iter([Link("truth", LinkAction.run, None, _forget_policy_hit),
                     Link("truth", LinkAction.jump, "default-posting-chain")])


def _forget_policy_hit(mlist, msg, msgdata: MutableMapping[str, Any]) -> None:
    hits = msgdata.get("rule_hits") or []
    if hits:
        msgdata[DEFERRED_KEY] = hits.pop()
        reasons = msgdata.get("moderation_reasons") or []
        if reasons:
            reasons.pop()
