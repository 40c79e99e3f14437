"""The rule that catches a post whose Message-ID already names another message on the server."""

from mailman.interfaces.messages import IMessageStore
from mailman.interfaces.rules import IRule
from public import public
from zope.component import getUtility
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.mime import MIMEError
from mailman_pgp.posting import reasons
from mailman_pgp.posting.encrypted_post import NotEncrypted, post_digest
from mailman_pgp.posting.refusal import refuse


@public
@implementer(IRule)
class PGPMessageIdTaken:
    """See `IRule`: hits when Mailman's message store holds another message under this ID.

    The store is shared by all lists and keeps the first message stored under an ID;
    approving a held post takes it from there. A post held under an ID that another
    message (held on any list) already has would be swapped for that message.
    The same post stored before (held on two lists, say) is not another message.
    """

    name = "pgp-message-id-taken"
    description = N_("Catch posts to a PGP list whose Message-ID names another stored message.")
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        message_ids = msg.get_all("message-id", [])
        if len(message_ids) > 1:
            refuse(msgdata, msg, reasons.MALFORMED,
                   f"it has {len(message_ids)} Message-ID headers.")
            return True
        if not message_ids:
            return False
        stored = getUtility(IMessageStore).get_message_by_id(message_ids[0])
        if stored is None or _same_post(stored, msg):
            return False
        refuse(msgdata, msg, reasons.MESSAGE_ID_TAKEN, str(message_ids[0]).strip())
        return True


def _same_post(stored, msg) -> bool:
    try:
        return post_digest(stored) == post_digest(msg)
    except (NotEncrypted, MIMEError):
        return False
