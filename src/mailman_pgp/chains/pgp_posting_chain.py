"""The posting chain of a PGP list: the PGP checks, then Mailman's own posting chain."""

from mailman.chains.base import Link
from mailman.interfaces.chain import IChain, LinkAction
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.posting.checker import check_post


@public
@implementer(IChain)
class PGPPostingChain:
    """See `IChain`.

    Loops, banned senders and messages without a sender are discarded first, as the
    built-in chain would, so they draw no notice. Then what can be decided without
    decrypting: a post without exactly one author, from an author without a
    confirmed key, with MIME parts beyond the limits, not encrypted, or whose
    Message-ID already names another message on the server is refused; one over the
    list's size limit is held for a moderator, as Mailman holds an oversized post.
    Only then does the PGP check (`check_post`) decrypt the post and record what it
    found; the rules after it hold a post it could not read in time or that is larger
    decrypted than the list accepts, and refuse a post it could not open or that is not
    signed by the author's confirmed key. Refusals go to ``pgp-reject``, holds to
    Mailman's ``hold``; a moderator's approval of a held post sends it through
    ``pgp-recheck-chain``. What passes continues in ``default-posting-chain``:
    moderation and the list's other rules still apply.
    """

    name = "pgp-posting-chain"
    description = N_("Check encryption and signature of posts to a PGP list, then moderate.")

    _link_descriptions = (
        ("no-senders", LinkAction.jump, "discard"),
        ("loop", LinkAction.jump, "discard"),
        ("banned-address", LinkAction.jump, "discard"),
        # Decided without decrypting: who sent it, what shape and kind it is, how big.
        ("pgp-ambiguous-author", LinkAction.jump, "pgp-reject"),
        ("pgp-author-without-key", LinkAction.jump, "pgp-reject"),
        ("pgp-too-complex", LinkAction.jump, "pgp-reject"),
        ("pgp-not-encrypted", LinkAction.jump, "pgp-reject"),
        # Before any hold: a held post is stored, and fetched back, by its Message-ID.
        ("pgp-message-id-taken", LinkAction.jump, "pgp-reject"),
        ("pgp-too-large", LinkAction.jump, "hold"),
        # The PGP check: decrypts in memory, within the [limits], and records its
        # outcome for the rules below (mailman_pgp.posting.check).
        ("truth", LinkAction.run, None, check_post),
        ("pgp-too-slow", LinkAction.jump, "hold"),
        ("pgp-plaintext-over-list-limit", LinkAction.jump, "hold"),
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
