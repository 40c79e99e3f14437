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
    built-in chain would, so they draw no notice. Then what can be decided without
    decrypting: a post without exactly one author, from an author without a
    confirmed key, over the list's size limit, not encrypted, or whose Message-ID
    already names another message on the server. Only then is the post decrypted,
    and refused if the list key cannot open it or it is not signed by the author's
    confirmed key. Refusals go to ``pgp-reject``. What passes continues in
    ``default-posting-chain``: moderation and the list's other rules still apply.
    """

    name = "pgp-posting-chain"
    description = "Check encryption and signature of posts to a PGP list, then moderate."

    _link_descriptions = (
        ("no-senders", LinkAction.jump, "discard"),
        ("loop", LinkAction.jump, "discard"),
        ("banned-address", LinkAction.jump, "discard"),
        # Decided without decrypting: who sent it, how big it is, what kind it is.
        ("pgp-ambiguous-author", LinkAction.jump, "pgp-reject"),
        ("pgp-author-without-key", LinkAction.jump, "pgp-reject"),
        ("pgp-too-large", LinkAction.jump, "pgp-reject"),
        ("pgp-not-encrypted", LinkAction.jump, "pgp-reject"),
        ("pgp-message-id-taken", LinkAction.jump, "pgp-reject"),
        # Decrypted, in memory, at most [posting] max_plaintext_size.
        ("pgp-not-decryptable", LinkAction.jump, "pgp-reject"),
        ("pgp-not-signed-by-sender", LinkAction.jump, "pgp-reject"),
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
