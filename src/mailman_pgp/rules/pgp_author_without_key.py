"""The rule that catches a post whose author has no confirmed key, before anything is decrypted."""

from mailman.interfaces.action import Action
from mailman.interfaces.rules import IRule
from public import public
from zope.component import getUtility
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.mime import classify
from mailman_pgp.posting import reasons
from mailman_pgp.posting.author import AmbiguousAuthor, post_author
from mailman_pgp.posting.encrypted_post import ENCRYPTED_KINDS
from mailman_pgp.posting.policy import list_actions
from mailman_pgp.posting.refusal import refuse


@public
@implementer(IRule)
class PGPAuthorWithoutKey:
    """See `IRule`: hits when the post's author (its From address) has no confirmed key and
    the list's policies would refuse whatever such an author sends.

    Without a confirmed key, a post is unsigned or signed by a key that is not the
    author's (or its signature cannot be checked at all): when the list rejects all three
    (and unencrypted posts, for one that is not encrypted), such a post could never pass,
    so it is refused before the list spends any work on it: anyone on the internet can
    send one. A list whose policies let such posts through leaves them to those policies.
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
        if not _refused_without_key(mlist, msg):
            return False
        refuse(msgdata, msg, reasons.NO_SENDER_KEY, author)
        return True


def _refused_without_key(mlist, msg) -> bool:
    actions = list_actions(mlist)
    cases = [PolicyCase.unsigned, PolicyCase.bad_signature, PolicyCase.unknown_key]
    if classify(msg) not in ENCRYPTED_KINDS:
        cases.append(PolicyCase.unencrypted)
    return all(actions[case] is Action.reject for case in cases)
