"""The rule that catches a post to a PGP list without exactly one author: one From, one address."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.posting import reasons
from mailman_pgp.posting.author import AmbiguousAuthor, post_author
from mailman_pgp.posting.refusal import refuse


@public
@implementer(IRule)
class PGPAmbiguousAuthor:
    """See `IRule`: hits unless the post has one From header naming one address.

    The list checks the signature against the author's key; a second From (or a second
    address in it) would travel to the members unchecked, as if vouched for.
    """

    name = "pgp-ambiguous-author"
    description = N_("Catch posts to a PGP list without exactly one From address.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        try:
            post_author(msg)
        except AmbiguousAuthor:
            refuse(msgdata, msg, reasons.AMBIGUOUS_AUTHOR)
            return True
        return False
