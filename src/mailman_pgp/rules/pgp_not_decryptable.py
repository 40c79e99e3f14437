"""The rule that opens a post with the list key, once, and records how its signature checked.

It is the only rule that decrypts: the rules after it read the outcome it leaves
in the message metadata (`PostCheck`), which holds fingerprints, a status, the
author and the digest of the ciphertext it checked; never plaintext.
"""

import logging

from mailman.interfaces.rules import IRule
from public import public
from zope.interface import implementer

from mailman_pgp.config import pgp_config
from mailman_pgp.mime import MIMEError
from mailman_pgp.model import PGPAddressKey, PGPMailingList
from mailman_pgp.openpgp import (
    CommandTimedOut,
    DecryptionError,
    MalformedMessage,
    PlaintextTooLarge,
)
from mailman_pgp.posting import reasons
from mailman_pgp.posting.author import AmbiguousAuthor, post_author
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.notice import may_tell, tell_not_processed
from mailman_pgp.posting.refusal import refuse
from mailman_pgp.posting.sealed import NotEncrypted, open_post

log = logging.getLogger("mailman.vette")
error_log = logging.getLogger("mailman.error")


@public
@implementer(IRule)
class PGPNotDecryptable:
    """See `IRule`: hits when the list key cannot open the post, or it cannot be read.

    Decryption stops at the list's plaintext limit (`PGPConfig.plaintext_limit`) and
    the SOP command's timeout; either refuses the post with a notice saying so.
    Errors of the list's own machinery (the SOP command missing, the list key not
    unlockable) are not the sender's fault: the author is told the post was kept, and
    the error propagates, so the runner shunts the post instead of refusing it.
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
        try:
            author = post_author(msg)
        except AmbiguousAuthor:
            refuse(msgdata, msg, reasons.AMBIGUOUS_AUTHOR)
            return True
        sender_key = PGPAddressKey.confirmed_for([author]).get(author)
        settings = pgp_config()
        try:
            opened = open_post(
                msg,
                pgp_list.secret_key(),
                verify_with=[sender_key.certificate()] if sender_key is not None else [],
                sop=settings.sop(),
                max_plaintext=settings.plaintext_limit(mlist.max_message_size),
            )
        except NotEncrypted:
            refuse(msgdata, msg, reasons.NOT_ENCRYPTED)
            return True
        except (MIMEError, MalformedMessage) as error:
            refuse(msgdata, msg, reasons.MALFORMED, str(error))
            return True
        except DecryptionError:
            log.info("%s: list key cannot decrypt %s", mlist.list_id, msg.get("message-id"))
            refuse(msgdata, msg, reasons.UNDECRYPTABLE, pgp_list.fingerprint)
            return True
        except PlaintextTooLarge as error:
            refuse(msgdata, msg, reasons.PLAINTEXT_TOO_LARGE, str(error.limit // 1024))
            return True
        except CommandTimedOut:
            refuse(msgdata, msg, reasons.TIMED_OUT, f"{settings.sop_timeout.total_seconds():g}")
            return True
        except Exception as error:
            error_log.error("%s: post %s could not be checked, it is shunted: %s",
                            mlist.list_id, msg.get("message-id", "n/a"), error)
            if may_tell(author):
                tell_not_processed(mlist, author, msg.get("message-id", "n/a"))
            raise
        # The openpgp layer judges the sender's key as it is now: a signature by a key
        # that has expired or been revoked since is not GOOD.
        verification = opened.verification
        PostCheck(
            status=verification.status,
            digest=opened.digest,
            author=author,
            signer=verification.signer_fingerprint,
            issuer=verification.issuer,
            sender_key=sender_key.fingerprint if sender_key is not None else None,
        ).save(msgdata)
        return False
