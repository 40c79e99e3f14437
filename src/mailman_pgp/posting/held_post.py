"""A held post as a moderator reads it: opened in memory, with what the list found when it came.

The held-message store keeps a post to a PGP list as it arrived, encrypted to the list
key. The moderator's notice and the REST view of a held post open it here, each time
anew, and let the plaintext go when they are done; nothing of it is written anywhere.
A post is opened only when the posting chain opened it when it arrived (its `PostCheck`
is ``OPENED``) and its ciphertext is the one checked then: a post held before its check
could finish (over a size limit, not read in time) stays closed until a moderator
approves it and the list checks it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.encrypted_post import NotEncrypted, encrypted_part, post_content

# The headers a reader expects on a post: from the decrypted content where the author
# protected them there (RFC 9788, or protected-headers="v1"), else from outside.
SHOWN_HEADERS = ("From", "To", "Cc", "Date", "Message-ID", "Subject", "Reply-To",
                 "In-Reply-To", "References")


@public
class HeldPostClosed(PGPError):
    """A held post that is not opened for a moderator; the message says why in a sentence."""


@public
@dataclass(frozen=True)
class ReadableHeldPost:
    """A held post as its author wrote it, and the list's check of it.

    ``message`` is the post decrypted: its content with the headers of `SHOWN_HEADERS`,
    the protected ones where the author protected them. ``encrypted`` is False for a post
    that arrived in plaintext (a list's policy may hold one). ``check`` is the record of
    the check when the post arrived, None for a plaintext post without one.
    """

    message: Message
    encrypted: bool
    check: PostCheck | None

    @property
    def subject(self) -> str | None:
        """The Subject the author wrote, decoded: the protected one, if any."""
        return decoded(self.message.get("subject"))


@public
def read_held_post(mlist, msg: Message, msgdata: Mapping[str, Any]) -> ReadableHeldPost:
    """``msg``, held for ``mlist`` with ``msgdata``, opened for a moderator, in memory.

    Raises `HeldPostClosed` when the list did not open the post when it came, or cannot
    open it now (its ciphertext is not the one checked, the key or the SOP command fails).
    """
    check = PostCheck.load(dict(msgdata))
    try:
        encrypted_part(msg)
    except NotEncrypted:
        return ReadableHeldPost(msg, encrypted=False, check=check)
    except PGPError as error:
        raise HeldPostClosed(f"The post is not well-formed PGP: {error}") from None
    if check is None or not check.opened:
        raise HeldPostClosed(
            "The list has not opened this post: it was held before the list could check it"
            " (see the reasons). Approve it to have the list check it again.")
    pgp_list = getUtility(IPGPListManager).get(mlist.list_id)
    if pgp_list is None:
        raise HeldPostClosed(f"{mlist.list_id} is not a PGP list.")
    settings = pgp_config()
    assert check.digest is not None  # an opened check has one
    try:
        content = post_content(
            msg, getUtility(IPGPListManager).secret_key(pgp_list), digest=check.digest,
            sop=settings.sop(), max_plaintext=settings.max_plaintext_size,
            mime_limits=settings.mime_limits)
    except PGPError as error:
        raise HeldPostClosed(f"The list could not open the post now: {error}") from None
    for name in SHOWN_HEADERS:
        if name not in content and name in msg:
            content[name] = msg[name]
    return ReadableHeldPost(content, encrypted=True, check=check)


@public
def decoded(value: object) -> str | None:
    """A header value as text, RFC 2047 words decoded; None for no value."""
    if value is None:
        return None
    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, UnicodeError, ValueError):
        return str(value)
