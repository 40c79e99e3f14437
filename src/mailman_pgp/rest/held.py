"""REST for a post a PGP list holds, decrypted for its moderators: ``lists/<list_id>/held/<id>``.

Mailman's stock ``GET /3.1/lists/<list_id>/held/<id>`` shows a held post as it is
stored, which on a PGP list is ciphertext to the list key. This resource shows the same
held post decrypted, in memory, for whoever the REST server lets in (Postorius asks for
its moderators): its headers (the protected ones where the author protected them), its
text and attachments, and how its signature checked out when it came. Deciding on it
stays with Mailman's stock ``POST /3.1/lists/<list_id>/held/<id>``. Nothing is written.
"""

from __future__ import annotations

from email.message import Message
from typing import Any

from mailman.interfaces.messages import IMessageStore
from mailman.interfaces.requests import IListRequests, RequestType
from mailman.rest.helpers import etag, not_found, okay
from public import public
from zope.component import getUtility

from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.held_notice import signature_summary
from mailman_pgp.posting.held_post import (
    SHOWN_HEADERS,
    HeldPostClosed,
    ReadableHeldPost,
    decoded,
    read_held_post,
)
from mailman_pgp.rest.list_lookup import NoPGPList, pgp_list_of
from mailman_plugin_kit.rest import PluginPaths


@public
class AHeldPost:
    """One post held by a PGP list, opened for a moderator."""

    # Mailman's REST router sets this on each resource it routes a request to.
    api: Any

    def __init__(self, paths: PluginPaths, list_id: str, request_id: str) -> None:
        self._paths = paths
        self._list_id = list_id
        self._request_id = request_id

    def on_get(self, request, response) -> None:
        """GET lists/<list_id>/held/<request_id>: 200; 404 saying which of list, PGP list,
        held message or stored message is missing."""
        try:
            mlist, _pgp_list = pgp_list_of(self._list_id)
        except NoPGPList as error:
            not_found(response, str(error))
            return
        held = _held_message(mlist, self._request_id)
        if held is None:
            not_found(response, f"{mlist.list_id} holds no message {self._request_id}.")
            return
        request_id, msgdata = held
        msg = getUtility(IMessageStore).get_message_by_id(msgdata["_mod_message_id"])
        if msg is None:
            not_found(response, f"The held message {request_id} of {mlist.list_id} is no"
                                " longer in the message store.")
            return
        okay(response, etag(self._resource(mlist, request_id, msg, msgdata)))

    def _resource(self, mlist, request_id: int, msg: Message,
                  msgdata: dict[str, Any]) -> dict[str, Any]:
        post: ReadableHeldPost | None
        try:
            post, problem = read_held_post(mlist, msg, msgdata), None
        except HeldPostClosed as closed:
            post, problem = None, str(closed)
        shown = post.message if post is not None else msg
        check = PostCheck.load(msgdata)
        return dict(
            list_id=mlist.list_id,
            request_id=request_id,
            message_id=msgdata["_mod_message_id"],
            sender=msgdata.get("_mod_sender"),
            reason=msgdata.get("_mod_reason"),
            hold_date=msgdata.get("_mod_hold_date"),
            encrypted=post.encrypted if post is not None else True,
            opened=post is not None,
            problem=problem,
            subject=decoded(shown.get("subject")),
            outer_subject=decoded(msg.get("subject")),
            headers={name: decoded(shown[name]) for name in SHOWN_HEADERS if name in shown},
            signature=_signature(check, encrypted=post is None or post.encrypted),
            parts=[] if post is None else _parts(post.message),
            msg=None if post is None else _text(post.message),
            self_link=self._paths.path(self.api, "lists", mlist.list_id, "held", request_id),
            moderation_link=self.api.path_to(f"lists/{mlist.list_id}/held/{request_id}"),
        )


def _held_message(mlist, request_id: str) -> tuple[int, dict[str, Any]] | None:
    """The request id and metadata of the held message ``request_id``, or None."""
    if not request_id.isascii() or not request_id.isdigit():
        return None
    number = int(request_id)
    # Mailman's request ids are database integers; larger numbers name nothing.
    if number >= 2 ** 31:
        return None
    result = IListRequests(mlist).get_request(number, RequestType.held_message)
    if result is None or result[1] is None or "_mod_message_id" not in result[1]:
        return None
    return number, result[1]


def _signature(check: PostCheck | None, *, encrypted: bool) -> dict[str, Any] | None:
    """How the signature checked out when the post came; None for a post never checked."""
    if check is None:
        return None
    return dict(
        status=None if check.status is None else check.status.value,
        signed_by_sender=check.signed_by_sender,
        signer=check.signer,
        issuer=check.issuer,
        sender_key=check.sender_key,
        summary=signature_summary(check, encrypted=encrypted),
    )


def _text(message: Message) -> str:
    """``message`` as text; 8-bit content the author sent undeclared shows as U+FFFD."""
    return message.as_bytes().decode("utf-8", errors="replace")


def _parts(message: Message) -> list[dict[str, Any]]:
    """Each leaf part of ``message``: its type, name, size, and its text when it is text."""
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        text = None
        if part.get_content_maintype() == "text":
            charset = part.get_content_charset() or "us-ascii"
            try:
                text = data.decode(charset, errors="replace")
            except LookupError:
                text = data.decode("utf-8", errors="replace")
        parts.append(dict(
            content_type=part.get_content_type(),
            filename=part.get_filename(),
            size=len(data),
            text=text,
        ))
    return parts
