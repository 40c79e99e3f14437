"""The rule that catches a post whose author has no confirmed key, before anything is decrypted."""

from mailman.interfaces.rules import IRule
from public import public
from zope.component import getUtility
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.posting import reasons
from mailman_pgp.posting.author import AmbiguousAuthor, post_author
from mailman_pgp.posting.refusal import refuse


@public
@implementer(IRule)
class PGPAuthorWithoutKey:
    """See `IRule`: hits when the post's author (its From address) has no confirmed key.

    Such a post could never pass the signature check, so it is refused before the list
    spends any work on it: anyone on the internet can send one.
    """

    name = "pgp-author-without-key"
    description = N_("Catch posts to a PGP list from an address without a confirmed key.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        try:
            author = post_author(msg)
        except AmbiguousAuthor:
            refuse(msgdata, msg, reasons.AMBIGUOUS_AUTHOR)
            return True
        if getUtility(IPGPAddressKeyManager).confirmed_for([author]):
            return False
        refuse(msgdata, msg, reasons.NO_SENDER_KEY, author)
        return True
