"""The PGP check of a post: the one step of the posting chain that decrypts.

It opens the post once with the list key, in memory, within the plaintext, MIME and time
limits, checks the signature against the author's confirmed key, and records the
outcome as a `PostCheck` (see `mailman_pgp.posting.check` for the contract). A post that
arrived in plaintext is read the same way without decrypting (its signature, if any, is
checked), so that a list whose policy lets it through delivers what was checked. Judging
the outcome is the rules' work; this step never refuses anything itself.

`recheck_post` is the same check for a post a moderator approved after a limit set it
aside: the list's own size limits give way to the site's, the time limit stays.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import MutableMapping
from email.message import Message
from typing import Any

from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.mime import MIMEError, classify
from mailman_pgp.openpgp import (
    Certificate,
    CommandTimedOut,
    DecryptionError,
    MalformedMessage,
    PlaintextTooLarge,
    SignatureStatus,
    Verification,
)
from mailman_pgp.posting.author import AmbiguousAuthor, post_author
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.posting.encrypted_post import (
    ENCRYPTED_KINDS,
    NotEncrypted,
    OpenedPost,
    encrypted_part,
    open_post,
    read_plaintext_post,
)
from mailman_pgp.posting.notice import may_tell, tell_not_processed

log = logging.getLogger("mailman.vette")
error_log = logging.getLogger("mailman.error")


@public
def check_post(mlist, msg: Message, msgdata: MutableMapping[str, Any]) -> PostCheck:
    """Check ``msg`` for ``mlist`` and record the outcome in ``msgdata``.

    Errors of the list's own machinery (the SOP command missing, the list key not
    unlockable) are not the sender's fault: the author is told the post was kept, and
    the error propagates, so the runner shunts the post instead of refusing it.
    """
    PostCheck.forget(msgdata)
    check = _check(mlist, msg, approved=False)
    check.save(msgdata)
    return check


@public
def recheck_post(mlist, msg: Message, msgdata: MutableMapping[str, Any]) -> PostCheck:
    """`check_post` for a post a moderator approved: read up to the site's plaintext limit
    (``[limits] max_plaintext_size``) whatever the list's ``max_message_size``."""
    PostCheck.forget(msgdata)
    check = _check(mlist, msg, approved=True)
    check.save(msgdata)
    return check


def _check(mlist, msg: Message, *, approved: bool) -> PostCheck:
    pgp_list = getUtility(IPGPListManager).get(mlist.list_id)
    try:
        author = post_author(msg)
    except AmbiguousAuthor:
        return PostCheck(CheckOutcome.NO_AUTHOR, None)
    if pgp_list is None:
        return PostCheck(CheckOutcome.NO_LIST_KEY, author)
    sender_key = getUtility(IPGPAddressKeyManager).confirmed_for([author]).get(author)
    settings = pgp_config()
    limit = (settings.max_plaintext_size if approved
             else settings.plaintext_limit(mlist.max_message_size))
    certificates = [sender_key.certificate()] if sender_key is not None else []
    try:
        if classify(msg) in ENCRYPTED_KINDS:
            opened = open_post(
                msg,
                getUtility(IPGPListManager).secret_key(pgp_list),
                verify_with=certificates,
                sop=settings.sop(),
                max_plaintext=limit,
                mime_limits=settings.mime_limits,
            )
        else:
            opened = read_plaintext_post(msg, verify_with=certificates, sop=settings.sop())
    except NotEncrypted:
        return PostCheck(CheckOutcome.NOT_ENCRYPTED, author)
    except (MIMEError, MalformedMessage) as error:
        return PostCheck(CheckOutcome.MALFORMED, author, _digest(msg), detail=str(error))
    except DecryptionError:
        log.info("%s: list key cannot decrypt %s", mlist.list_id, msg.get("message-id"))
        return PostCheck(CheckOutcome.UNDECRYPTABLE, author, _digest(msg),
                         detail=pgp_list.fingerprint)
    except PlaintextTooLarge as error:
        outcome = (CheckOutcome.TOO_LARGE if limit >= settings.max_plaintext_size
                   else CheckOutcome.OVER_LIST_LIMIT)
        return PostCheck(outcome, author, _digest(msg), detail=str(error.limit // 1024))
    except CommandTimedOut:
        return PostCheck(CheckOutcome.TIMED_OUT, author, _digest(msg),
                         detail=f"{settings.sop_timeout.total_seconds():g}")
    except Exception as error:
        error_log.error("%s: post %s could not be checked, it is shunted: %s",
                        mlist.list_id, msg.get("message-id", "n/a"), error)
        if may_tell(author):
            tell_not_processed(mlist, author, msg.get("message-id", "n/a"))
        raise
    # The openpgp layer judges the sender's key as it is now: a signature by a key
    # that has expired or been revoked since is not GOOD. A key expired when it signed
    # (and extended since) is judged here, from the certificate, without verifying again.
    verification = opened.verification
    status = verification.status
    if status is SignatureStatus.GOOD and _expired_when_signed(verification, certificates):
        status = SignatureStatus.EXPIRED_KEY
    return PostCheck(
        CheckOutcome.OPENED,
        author,
        opened.digest,
        status=status,
        signer=verification.signer_fingerprint,
        issuer=verification.issuer,
        sender_key=sender_key.fingerprint if sender_key is not None else None,
        kind=opened.kind,
        signed_at=verification.created,
        signature=_signature_digest(opened),
    )


def _expired_when_signed(verification: Verification,
                         certificates: list[Certificate]) -> bool:
    signed_at = verification.created
    cert = next((c for c in certificates if c.fingerprint == verification.signer_fingerprint),
                None)
    if signed_at is None or cert is None:
        return False
    part = cert.key_part(verification.issuer) if verification.issuer else None
    return any(expires is not None and expires <= signed_at
               for expires in (cert.expires, part.expires if part else None))


def _signature_digest(opened: OpenedPost) -> str | None:
    """What names the post's signature: who signed, when, and the digest of what was signed.

    The SOP command hands over no signature packet; these three fix one (a packet signs
    the data's hash at its creation time with its issuer's key), and stay the same when
    the signed content is sent again in a new envelope.
    """
    verification = opened.verification
    signer = verification.signer_fingerprint or verification.issuer
    if verification.status is SignatureStatus.NO_SIGNATURE or verification.created is None \
            or signer is None:
        return None
    named = "\0".join(("pgp-signature", signer.upper(), verification.created.isoformat(),
                       opened.signed_digest))
    return hashlib.sha256(named.encode("ascii")).hexdigest()


def _digest(msg: Message) -> str | None:
    try:
        return encrypted_part(msg).digest
    except (NotEncrypted, MIMEError):
        return None
