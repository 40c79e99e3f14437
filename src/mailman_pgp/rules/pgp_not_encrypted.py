"""The rule that catches a post to a PGP list that is not encrypted."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.mime import MessageKind, classify
from mailman_pgp.posting import reasons
from mailman_pgp.posting.encrypted_post import ENCRYPTED_KINDS
from mailman_pgp.posting.refusal import refuse

_SIGNED = frozenset({MessageKind.PGP_MIME_SIGNED, MessageKind.INLINE_SIGNED})


@public
@implementer(IRule)
class PGPNotEncrypted:
    """See `IRule`: hits when the post is neither PGP/MIME- nor inline-encrypted."""

    name = "pgp-not-encrypted"
    description = N_("Catch posts to a PGP list that are not encrypted.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        kind = classify(msg)
        if kind in ENCRYPTED_KINDS:
            return False
        refuse(msgdata, msg,
               reasons.SIGNED_NOT_ENCRYPTED if kind in _SIGNED else reasons.NOT_ENCRYPTED)
        return True
