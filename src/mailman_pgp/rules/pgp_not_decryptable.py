"""The rule that opens a post with the list key, once, and records how its signature checked.

It is the only rule that decrypts: the rules after it read the outcome it leaves
in the message metadata (`PostCheck`), which holds fingerprints and a status only.
"""

import logging

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.config import pgp_config
from mailman_pgp.mime import MalformedPGPMIME
from mailman_pgp.model import PGPAddressKey, PGPMailingList
from mailman_pgp.openpgp import DecryptionError, MalformedMessage
from mailman_pgp.posting import reasons
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.refusal import refuse
from mailman_pgp.posting.sealed import NotEncrypted, open_post

log = logging.getLogger("mailman.vette")


@public
@implementer(IRule)
class PGPNotDecryptable:
    """See `IRule`: hits when the list key cannot open the post.

    Errors of the list's own machinery (the SOP command missing, the list key not
    unlockable) are not the sender's fault: they propagate, so the runner shunts
    the post instead of refusing it.
    """

    name = "pgp-not-decryptable"
    description = "Catch posts to a PGP list that the list's key cannot decrypt."
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        PostCheck.forget(msgdata)
        pgp_list = PGPMailingList.for_list_id(mlist.list_id)
        if pgp_list is None:
            refuse(msgdata, msg, reasons.LIST_HAS_NO_KEY)
            return True
        sender = (msg.sender or "").lower()
        sender_key = PGPAddressKey.confirmed_for([sender]).get(sender) if sender else None
        certificate = sender_key.certificate() if sender_key is not None else None
        try:
            opened = open_post(
                msg,
                pgp_list.secret_key(),
                verify_with=[certificate] if certificate is not None else [],
                sop=pgp_config().sop(),
            )
        except NotEncrypted:
            refuse(msgdata, msg, reasons.NOT_ENCRYPTED)
            return True
        except (MalformedPGPMIME, MalformedMessage) as error:
            refuse(msgdata, msg, reasons.MALFORMED, str(error))
            return True
        except DecryptionError:
            log.info("%s: list key cannot decrypt %s", mlist.list_id, msg.get("message-id"))
            refuse(msgdata, msg, reasons.UNDECRYPTABLE, pgp_list.fingerprint)
            return True
        # The openpgp layer judges the sender's key as it is now: a signature by a key
        # that has expired or been revoked since is not GOOD.
        verification = opened.verification
        PostCheck(
            status=verification.status,
            signer=verification.signer_fingerprint,
            issuer=verification.issuer,
            sender_key=sender_key.fingerprint if sender_key is not None else None,
        ).save(msgdata)
        return False

