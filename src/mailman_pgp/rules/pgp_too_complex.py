"""The rule that catches a post whose MIME structure is over the limits, before decrypting."""

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.config import pgp_config
from mailman_pgp.i18n import N_
from mailman_pgp.mime import MIMEError
from mailman_pgp.posting import reasons
from mailman_pgp.posting.refusal import refuse


@public
@implementer(IRule)
class PGPTooComplex:
    """See `IRule`: hits when the post as it arrived nests MIME parts deeper, or holds more
    of them, than ``[limits] mime_depth`` and ``mime_parts`` allow.

    An encrypted post is two parts; the limits are there so that what the rules after this
    one walk (inline PGP is searched in every text part) is bounded. The decrypted content
    is held to the same limits by the PGP check.
    """

    name = "pgp-too-complex"
    description = N_("Catch posts to a PGP list whose MIME parts nest too deep or are too many.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        try:
            pgp_config().mime_limits.check(msg)
        except MIMEError as error:
            refuse(msgdata, msg, reasons.TOO_COMPLEX, str(error))
            return True
        return False
