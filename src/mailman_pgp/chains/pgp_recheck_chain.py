"""The chain for a post a moderator approved after a PGP limit held it: checked again."""

from collections.abc import Iterator

from mailman.chains.base import Link
from mailman.interfaces.chain import IChain, LinkAction
from public import public
from zope.interface import implementer

from mailman_pgp.chains.pgp_posting_chain import policy_links
from mailman_pgp.chains.pgp_terminals import with_pgp_terminals
from mailman_pgp.i18n import N_
from mailman_pgp.posting.checker import recheck_post
from mailman_pgp.posting.policy import list_actions


@public
@implementer(IChain)
class PGPRecheckChain:
    """See `IChain`.

    A post held before the PGP check could finish (over the list's size, larger
    decrypted than the list accepts, or not read in time) comes back from the
    moderator with no opened check. The pipeline's first handler (``pgp-checked-post``)
    sends it here. The check runs again with the list's own size limits lifted to the
    site's (`recheck_post`); the time limit stays, and a post that runs out of it again
    is held again. A post that cannot be opened is refused as ``pgp-posting-chain``
    refuses it. The list's policies, never asked of this post, are asked now, as in
    ``pgp-posting-chain`` (`policy_links`), except that ``defer`` accepts: the moderator
    has decided already. What passes is accepted, as Mailman accepts any post a
    moderator approves. A post a policy holds has an opened check, so a second approval
    delivers it without coming here again.
    """

    name = "pgp-recheck-chain"
    description = N_("Check again a post to a PGP list that a moderator approved.")

    _check_descriptions = (
        ("truth", LinkAction.run, None, recheck_post),
        ("pgp-too-slow", LinkAction.jump, "hold"),
        ("pgp-not-decryptable", LinkAction.jump, "pgp-reject"),
    )

    def get_links(self, mlist, msg, msgdata) -> Iterator[Link]:
        """See `IChain`."""
        descriptions = [*self._check_descriptions,
                        *policy_links(list_actions(mlist), defer_to="accept"),
                        ("truth", LinkAction.jump, "accept")]
        return iter(with_pgp_terminals(Link(*description) for description in descriptions))
