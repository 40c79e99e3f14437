"""The posting chain of a PGP list: the PGP checks, then Mailman's own posting chain."""

from mailman.chains.base import Link
from mailman.interfaces.chain import IChain, LinkAction
from public import public
from zope.interface import implementer


@public
@implementer(IChain)
class PGPPostingChain:
    """See `IChain`.

    Loops, banned senders and messages without a sender are discarded first, as the
    built-in chain would, so they draw no notice. Then a post that is not
    encrypted, that the list key cannot open, or that is not signed by the sender's
    confirmed key is rejected with a notice saying why. What passes continues in
    ``default-posting-chain``: moderation and the list's other rules still apply.
    """

    name = "pgp-posting-chain"
    description = "Check encryption and signature of posts to a PGP list, then moderate."

    _link_descriptions = (
        ("no-senders", LinkAction.jump, "discard"),
        ("loop", LinkAction.jump, "discard"),
        ("banned-address", LinkAction.jump, "discard"),
        ("pgp-not-encrypted", LinkAction.jump, "reject"),
        ("pgp-not-decryptable", LinkAction.jump, "reject"),
        ("pgp-not-signed-by-sender", LinkAction.jump, "reject"),
        ("truth", LinkAction.jump, "default-posting-chain"),
    )

    def __init__(self) -> None:
        self._links: list[Link] | None = None

    def get_links(self, mlist, msg, msgdata):
        """See `IChain`."""
        # Rules and chains are looked up on first use: all of them exist by then.
        if self._links is None:
            self._links = [Link(*description) for description in self._link_descriptions]
        return iter(self._links)
