"""The handler that lets only the post the PGP posting chain checked through the pipeline."""

import logging

from mailman.core.chains import process as run_chain
from mailman.interfaces.handler import IHandler
from mailman.interfaces.pipeline import DiscardMessage
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.mime import MIMEError
from mailman_pgp.posting.author import AmbiguousAuthor, post_author
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.encrypted_post import (
    ENCRYPTED_KINDS,
    NotEncrypted,
    NotTheCheckedPost,
    post_digest,
)
from mailman_pgp.posting.notice import may_tell, tell_sent_in_clear
from mailman_pgp.posting.replay import remember_signature

log = logging.getLogger("mailman.vette")


@public
@implementer(IHandler)
class PGPCheckedPost:
    """See `IHandler`: raises `NotTheCheckedPost` for a post the chain did not check as it is.

    A held post comes back from Mailman's message store by Message-ID, which another
    message may have taken; so the post entering the pipeline must have the author
    and the ciphertext digest the chain recorded (`PostCheck`). Checked here, first,
    because later handlers may rewrite From (DMARC mitigation). The exception makes the
    runner shunt the message, kept for inspection and never delivered.

    A post that passes is accepted for delivery: its signature is remembered here, in the
    runner's transaction, against replays (`remember_signature`), which may stop a second
    copy of it that reached the pipeline at the same time. The author of a post that
    arrived in plaintext (a list whose ``unencrypted_action`` accepts it) is told that it
    travelled to the list in the clear.

    A post a PGP limit held before its check could finish, once a moderator approves it,
    has no opened check: it goes through ``pgp-recheck-chain`` instead, which accepts it
    back into the pipeline checked, holds it again, or refuses it; this pass ends there.
    """

    name = "pgp-checked-post"
    description = N_("Stop a post to a PGP list that is not the one its posting chain checked.")

    def process(self, mlist, msg, msgdata) -> None:
        """See `IHandler`."""
        check = PostCheck.load(msgdata)
        if msgdata.get("moderator_approved") and (check is None or check.set_aside):
            log.info("%s: post %s approved by a moderator, checked again", mlist.list_id,
                     msg.get("message-id", "n/a").strip())
            run_chain(mlist, msg, msgdata, "pgp-recheck-chain")
            raise DiscardMessage("approved by a moderator; checked again by pgp-recheck-chain")
        problem = _mismatch(msg, check)
        if problem is None and check is not None:
            remember_signature(mlist, msg, msgdata, check)
            if check.kind not in ENCRYPTED_KINDS and check.author and may_tell(check.author):
                tell_sent_in_clear(mlist, check.author, msg.get("message-id", "n/a").strip())
            return
        log.error("%s: post %s is stopped, shunted and not delivered: %s", mlist.list_id,
                  msg.get("message-id", "n/a").strip(), problem)
        raise NotTheCheckedPost(f"The post is not the one the PGP posting chain checked: "
                                f"{problem}.")


def _mismatch(msg, check: PostCheck | None) -> str | None:
    if check is None:
        return "it carries no record of the PGP posting chain's check"
    if not check.opened:
        return "the PGP check did not open it"
    try:
        author = post_author(msg)
    except AmbiguousAuthor:
        return "it has no single From address"
    if author != check.author:
        return f"its From {author} is not the author checked, {check.author}"
    try:
        digest = post_digest(msg)
    except (NotEncrypted, MIMEError):
        return "its encrypted part cannot be read"
    if digest != check.digest:
        return "its content is not the one checked"
    return None
