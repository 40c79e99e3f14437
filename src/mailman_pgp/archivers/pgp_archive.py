"""The encrypted archive of a PGP list: a Maildir of copies encrypted to the list and archive keys.

Each post a PGP list archives is opened in memory, signed by the list (RFC 3156) with all
its headers inside, encrypted once to the list key and to every archive key of the list
(`mailman_pgp.app.archive_keys`), and added to a Maildir under Mailman's archive
directory, ``<archive_dir>/pgp/<list_id>/``. Outside the encryption each copy shows only
what threads it: Message-ID, Date, In-Reply-To, References, List-Id, and the Subject
``[...]``. Mail of lists that are not PGP lists is not archived here.
"""

from __future__ import annotations

import logging
import os
from email.message import Message
from mailbox import Maildir
from pathlib import Path

from mailman.config import config
from mailman.interfaces.archiver import IArchiver
from public import public
from zope.component import getUtility
from zope.interface import implementer

from mailman_pgp.app.archive_keys import archive_keys
from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_pgp.openpgp import Certificate, KeyUnusable
from mailman_pgp.posting.at_rest import PLACEHOLDER_SUBJECT, readable_post, seal
from mailman_pgp.posting.fanout import sign_content

ARCHIVER_NAME = "pgp"
ARCHIVER_CLASS = "mailman_pgp.archivers.pgp_archive.PGPArchive"
# The headers an archived copy shows outside its encryption, besides its Subject.
OUTSIDE = ("message-id", "date", "in-reply-to", "references", "list-id")
public(ARCHIVER_NAME=ARCHIVER_NAME, ARCHIVER_CLASS=ARCHIVER_CLASS)

log = logging.getLogger("mailman.archiver")


@public
def archive_path(list_id: str) -> Path:
    """The Maildir holding the encrypted archive of ``list_id``."""
    return Path(config.ARCHIVE_DIR) / ARCHIVER_NAME / list_id


@public
@implementer(IArchiver)
class PGPArchive:
    """See `IArchiver`: a PGP list's archive, encrypted, on the list server's disk only."""

    name = ARCHIVER_NAME
    # Set by Mailman from the section's ``enable``.
    is_enabled = False

    @staticmethod
    def list_url(mlist) -> None:
        """See `IArchiver`; not on the web."""
        return None

    @staticmethod
    def permalink(mlist, msg) -> None:
        """See `IArchiver`; not on the web."""
        return None

    @staticmethod
    def archive_message(mlist, msg: Message) -> None:
        """See `IArchiver`: ``msg``, a post as the list received it, added encrypted.

        The post is opened in memory; errors of the plugin (`PGPError`) propagate.
        """
        pgp_list = getUtility(IPGPListManager).get(mlist.list_id)
        if pgp_list is None:
            return None
        settings = pgp_config()
        readable = readable_post(
            msg, getUtility(IPGPListManager).secret_key(pgp_list), sop=settings.sop(),
            max_plaintext=settings.max_plaintext_size, mime_limits=settings.mime_limits)
        keep_encrypted(pgp_list, readable)
        return None


@public
def keep_encrypted(pgp_list: IPGPMailingList, readable: Message) -> Path:
    """Add ``readable``, a post opened in memory, to the encrypted archive of ``pgp_list``.

    Signed by the list, encrypted to the list key and its usable archive keys; returns
    the file the copy was written to.
    """
    key = getUtility(IPGPListManager).secret_key(pgp_list)
    outside = [(name, value) for name, value in readable.items() if name.lower() in OUTSIDE]
    copy = seal(sign_content(readable, key),
                [pgp_list.certificate(), *_usable_archive_keys(pgp_list.list_id)],
                [*outside, ("Subject", PLACEHOLDER_SUBJECT)])
    path = archive_path(pgp_list.list_id)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Maildir adds each copy under a unique name through tmp/: no lock needed.
    return path / "new" / Maildir(os.fspath(path), create=True).add(copy)


def _usable_archive_keys(list_id: str) -> list[Certificate]:
    usable = []
    for archive_key in archive_keys(list_id):
        certificate = archive_key.certificate()
        try:
            certificate.check_usable(sign=False)
        except KeyUnusable as error:
            log.warning("%s: archived copies are not encrypted to archive key %s: %s",
                        list_id, archive_key.fingerprint, error)
            continue
        usable.append(certificate)
    return usable
