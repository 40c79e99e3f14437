"""The delivery agent of a PGP list post: open once, sign once, one encrypted copy per member."""

from __future__ import annotations

import logging
from collections import OrderedDict
from email.message import Message
from typing import Any

from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_pgp.mime import MIMEError
from mailman_pgp.mta.encrypted_delivery import EncryptedDelivery, PreparedCopy, Undeliverable
from mailman_pgp.mta.member_copy import post_copy
from mailman_pgp.openpgp import DecryptionError, MalformedMessage, PlaintextTooLarge
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.encrypted_post import (
    NotEncrypted,
    NotTheCheckedPost,
    post_digest,
    signed_post_content,
)
from mailman_pgp.posting.fanout import sign_canonical
from mailman_pgp.posting.notice import may_tell, tell_undelivered

log = logging.getLogger("mailman.smtp")

# Failures at delivery that say something about the post rather than the server.
_AUTHORS_PROBLEMS = (NotEncrypted, MIMEError, DecryptionError, MalformedMessage,
                     PlaintextTooLarge)
SERVER_PROBLEM = "A problem on the list's server stopped the list from decrypting or signing it."
# msgdata key: entries of one post that may share its copy, made once per process: the
# chunks of one split (`mailman_pgp.mta.fanout_split`) carry the same value.
SHARED_COPY = "pgp_shared_copy"
# Posts whose shared copy a process keeps, in memory only.
SHARED_COPIES_KEPT = 2


@public
class UndeliverablePost(Undeliverable):
    """A PGP list post the list cannot open or sign at delivery; shunted, encrypted as it came."""


@public
class PGPDelivery(EncryptedDelivery):
    """See `EncryptedDelivery`: the post is opened, and its copy made as `post_copy` says.

    Copies go only to recipients with a confirmed key that can encrypt; the others
    get nothing. The post given to `deliver` is never changed: Mailman re-queues that
    same object when delivery fails for some recipients.
    """

    def _copy(self, mlist, pgp_list: IPGPMailingList, msg: Message,
              msgdata: dict[str, Any]) -> PreparedCopy:
        """The copy of the post every member gets (`post_copy`), signed by the list unless
        the list says not to (``sign_outgoing``): opened only if it is the post checked.

        An entry marked ``SHARED_COPY`` gets the copy this process made for another entry
        with the same mark and the same check, if it kept it and ``msg`` is the post
        checked (`_SharedCopies`); else it is made, and kept.
        """
        check = PostCheck.load(msgdata)
        shared = msgdata.get(SHARED_COPY)
        if shared is None or check is None or not check.opened or check.digest is None:
            return self._new_copy(mlist, pgp_list, msg, msgdata)
        key = (mlist.list_id, shared, check.digest)
        copy = _SHARED_COPIES.get(key)
        if copy is None or not _is_post(msg, check.digest):
            copy = self._new_copy(mlist, pgp_list, msg, msgdata)
            _SHARED_COPIES.keep(key, copy)
        return copy

    def _new_copy(self, mlist, pgp_list: IPGPMailingList, msg: Message,
                  msgdata: dict[str, Any]) -> PreparedCopy:
        """See `_copy`: the copy made anew.

        Any failure is logged and raised as `UndeliverablePost`, so the post is shunted
        and never sent in plaintext; the author is told, unless the post was not the one
        checked (then the author named in it is not who sent it).
        """
        message_id = msg.get("message-id", "n/a").strip()
        check = PostCheck.load(msgdata)
        # An opened check has a digest and an author; said again for the type checker.
        if check is None or not check.opened or check.digest is None or check.author is None:
            raise UndeliverablePost(
                f"Post {message_id} to the PGP list {mlist.list_id} did not pass the PGP"
                " posting chain; it is not delivered.")
        settings = pgp_config()
        key = getUtility(IPGPListManager).secret_key(pgp_list)
        try:
            # The check read this very ciphertext within the limit that applied to it (the
            # list's, or the site's once a moderator approved): the site's bounds it here.
            opened = signed_post_content(msg, key, digest=check.digest, sop=settings.sop(),
                                         max_plaintext=settings.max_plaintext_size,
                                         mime_limits=settings.mime_limits)
            copy = post_copy(mlist, pgp_list, msg, msgdata, opened, check.author)
            content = sign_canonical(copy.content, key) if pgp_list.sign_outgoing \
                else copy.content
            return PreparedCopy(content, copy.headers)
        except NotTheCheckedPost as error:
            log.error("%s to %s is not delivered: %s", message_id, mlist.list_id, error)
            raise UndeliverablePost(f"Post {message_id} to {mlist.list_id}: {error}") from error
        except Exception as error:
            # Whatever it is (a PGP error, or the email package failing on what it was
            # given), the author hears of it and the post is kept in the shunt queue; what
            # went wrong on the server itself is told in the log, not to the author.
            reason = str(error) if isinstance(error, _AUTHORS_PROBLEMS) else SERVER_PROBLEM
            log.error("%s to %s is not delivered, the list cannot open or sign it: %s",
                      message_id, mlist.list_id, f"{type(error).__name__}: {error}")
            if may_tell(check.author):
                tell_undelivered(mlist, check.author, message_id, [reason])
            raise UndeliverablePost(
                f"The list cannot open or sign post {message_id}: {reason}") from error


def _is_post(msg: Message, digest: str) -> bool:
    """Whether ``msg`` is the post whose check recorded ``digest``."""
    try:
        return post_digest(msg) == digest
    except (NotEncrypted, MIMEError):
        return False


class _SharedCopies:
    """The copies this process made of the last `SHARED_COPIES_KEPT` posts marked shared.

    A post split into chunks is opened, decorated and signed once per out runner process
    rather than once per chunk: that work costs as much as encrypting dozens of copies.
    """

    def __init__(self) -> None:
        self._copies: OrderedDict[tuple[str, str, str], PreparedCopy] = OrderedDict()

    def get(self, key: tuple[str, str, str]) -> PreparedCopy | None:
        copy = self._copies.get(key)
        if copy is not None:
            self._copies.move_to_end(key)
        return copy

    def keep(self, key: tuple[str, str, str], copy: PreparedCopy) -> None:
        self._copies[key] = copy
        self._copies.move_to_end(key)
        while len(self._copies) > SHARED_COPIES_KEPT:
            self._copies.popitem(last=False)


_SHARED_COPIES = _SharedCopies()
