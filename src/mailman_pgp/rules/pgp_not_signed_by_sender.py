"""The rule that catches a post not signed, with a good signature, by the sender's own key."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting import reasons
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.refusal import refuse

_REASONS = {
    SignatureStatus.NO_SIGNATURE: reasons.NOT_SIGNED,
    SignatureStatus.BAD: reasons.BAD_SIGNATURE,
    SignatureStatus.EXPIRED_KEY: reasons.EXPIRED_KEY,
    SignatureStatus.REVOKED_KEY: reasons.REVOKED_KEY,
}


@public
@implementer(IRule)
class PGPNotSignedBySender:
    """See `IRule`: hits unless the post carries a good signature by the sender's confirmed key.

    It reads the outcome the PGP check recorded (`PostCheck`); with none, or for a
    post the check did not open, it hits, so a post is never accepted unchecked.
    """

    name = "pgp-not-signed-by-sender"
    description = N_("Catch posts to a PGP list not signed by the sender's confirmed key.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        check = PostCheck.load(msgdata)
        # An opened check has an author; said again for the type checker.
        if check is None or not check.opened or check.author is None:
            refuse(msgdata, msg, reasons.NOT_CHECKED)
            return True
        if check.signed_by_sender:
            return False
        if check.sender_key is None:
            refuse(msgdata, msg, reasons.NO_SENDER_KEY, check.author)
        elif check.status in _REASONS:
            refuse(msgdata, msg, _REASONS[check.status], check.sender_key)
        else:
            other = check.signer or check.issuer or "(unnamed)"
            refuse(msgdata, msg, reasons.OTHER_KEY, other, check.sender_key)
        return True
