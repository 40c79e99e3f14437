"""The chain for a post a moderator approved after a PGP limit held it: checked again."""

from mailman.chains.base import Link
from mailman.interfaces.chain import IChain, LinkAction
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.posting.checker import recheck_post


@public
@implementer(IChain)
class PGPRecheckChain:
    """See `IChain`.

    A post held before the PGP check could finish (over the list's size, larger
    decrypted than the list accepts, or not read in time) comes back from the
    moderator with no opened check. The pipeline's first handler (``pgp-checked-post``)
    sends it here. The check runs again with the list's own size limits lifted to the
    site's (`recheck_post`); the time limit stays, and a post that runs out of it again
    is held again. A post that cannot be opened, or is not signed by its author's
    confirmed key, is refused as ``pgp-posting-chain`` refuses it; the rest is accepted,
    since the moderator approved it, as Mailman accepts any post a moderator approves.
    """

    name = "pgp-recheck-chain"
    description = N_("Check again a post to a PGP list that a moderator approved.")

    _link_descriptions = (
        ("truth", LinkAction.run, None, recheck_post),
        ("pgp-too-slow", LinkAction.jump, "hold"),
        ("pgp-not-decryptable", LinkAction.jump, "pgp-reject"),
        ("pgp-not-signed-by-sender", LinkAction.jump, "pgp-reject"),
        ("truth", LinkAction.jump, "accept"),
    )

    def __init__(self) -> None:
        self._links: list[Link] | None = None

    def get_links(self, mlist, msg, msgdata):
        """See `IChain`."""
        if self._links is None:
            self._links = [Link(*description) for description in self._link_descriptions]
        return iter(self._links)
