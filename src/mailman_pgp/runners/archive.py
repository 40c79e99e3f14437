"""Mailman's archive runner, deciding for a PGP list what each archiver gets.

A PGP list's posts reach the ``archive`` queue as they arrived, encrypted. The list's
own encrypted archive (`mailman_pgp.archivers.pgp_archive`) gets each post; every other
archiver (HyperKitty, MHonArc, the prototype, mail-archive.com) gets nothing, unless the
list's owner turned ``archive_plaintext`` on: then it gets the post decrypted in memory,
its protected headers in place. Mail of other lists is archived as Mailman does.
"""

from __future__ import annotations

import copy
import logging
from email.message import Message
from typing import Any

from mailman.interfaces.mailinglist import IListArchiverSet
from mailman.runners.archive import ArchiveRunner, _should_clobber
from mailman.utilities.datetime import RFC822_DATE_FMT, now
from public import public
from zope.component import getUtility

from mailman_pgp.archivers.pgp_archive import ARCHIVER_NAME, keep_encrypted
from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_pgp.posting.at_rest import readable_post
from mailman_pgp.posting.check import PostCheck

# What the plugin pushes as ``[runner.archive] class``.
RUNNER_CLASS = "mailman_pgp.runners.archive.PGPArchiveRunner"

log = logging.getLogger("mailman.archiver")


@public
class NotArchived(PGPError):
    """The list's encrypted archive could not take the post; it is kept, encrypted, in shunt."""


@public
class PGPArchiveRunner(ArchiveRunner):
    """See Mailman's `ArchiveRunner`; a PGP list's plaintext reaches no archiver by default.

    The post is opened in memory once, for the encrypted archive and, with
    ``archive_plaintext``, for the others. When the encrypted archive cannot take it
    (`NotArchived`), the runner shunts the post, as it came: nothing is lost.
    """

    def _dispose(self, mlist, msg, msgdata: dict[str, Any]) -> bool:
        pgp_list = None if mlist is None else getUtility(IPGPListManager).get(mlist.list_id)
        if pgp_list is None:
            return bool(super()._dispose(mlist, msg, msgdata))
        received_time = msgdata.get("received_time", now(strip_tzinfo=False))
        wanted = [archiver for archiver in IListArchiverSet(mlist).archivers
                  if archiver.is_enabled
                  and (archiver.name == ARCHIVER_NAME or pgp_list.archive_plaintext)]
        if not wanted:
            return False
        readable = _readable(mlist, pgp_list, msg, PostCheck.load(msgdata))
        missed: Exception | None = None
        for archiver in wanted:
            archived = _with_date(readable, msgdata, archiver.name, received_time)
            try:
                if archiver.name == ARCHIVER_NAME:
                    keep_encrypted(pgp_list, archived)
                else:
                    archiver.system_archiver.archive_message(mlist, archived)
            except Exception as error:
                # As Mailman does, one archiver failing does not stop the others; but the
                # post stays (shunted, encrypted) when the list's own archive missed it.
                # Only the error's type is logged: its text may quote what it was given.
                log.error("%s: the %s archiver failed on %s: %s", mlist.list_id,
                          archiver.name, msg.get("message-id", "n/a").strip(),
                          type(error).__name__)
                if archiver.name == ARCHIVER_NAME:
                    missed = error
        if missed is not None:
            raise NotArchived(
                f"The encrypted archive of {mlist.list_id} could not take the post.") from missed
        return False


def _readable(mlist, pgp_list: IPGPMailingList, msg: Message,
              check: PostCheck | None) -> Message:
    """The post opened in memory, bound to the posting chain's check when it has one."""
    settings = pgp_config()
    try:
        return readable_post(
            msg, getUtility(IPGPListManager).secret_key(pgp_list), sop=settings.sop(),
            max_plaintext=settings.max_plaintext_size, mime_limits=settings.mime_limits,
            digest=check.digest if check is not None and check.opened else None)
    except PGPError as error:
        log.error("%s: %s is not archived, the list cannot open it: %s", mlist.list_id,
                  msg.get("message-id", "n/a").strip(), type(error).__name__)
        raise NotArchived(f"{mlist.list_id} cannot open the post to archive it.") from error


def _with_date(msg: Message, msgdata: dict[str, Any], archiver: str, received_time) -> Message:
    """A copy of ``msg`` for ``archiver``, its Date clobbered as Mailman's runner would."""
    archived = copy.deepcopy(msg)
    if _should_clobber(msg, msgdata, archiver):
        original_date = archived["date"]
        del archived["date"]
        del archived["x-original-date"]
        archived["Date"] = received_time.strftime(RFC822_DATE_FMT)
        if original_date:
            archived["X-Original-Date"] = original_date
    return archived
