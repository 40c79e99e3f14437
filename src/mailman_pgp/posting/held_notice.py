"""The notices that tell a PGP list's moderators a post waits for them.

A moderator with a usable confirmed key gets `readable_notice`: who wrote the post,
its Subject, how its signature checked out, why it was held, and the post itself,
decrypted, attached; it is sealed to that moderator's key before it is queued
(`mailman_pgp.posting.sealed`). Any other moderator gets `keyless_notice`: that a post
waits, and how to get a key onto the list, with nothing of the post (no Subject, no
author). Neither notice carries the post's content outside an encryption.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.mime.message import MIMEMessage
from email.mime.text import MIMEText

from mailman.email.message import UserNotification
from mailman.interfaces.mailinglist import IMailingList
from public import public

from mailman_pgp.i18n import N_, translate
from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.held_post import ReadableHeldPost

SUBJECT = N_("A post to {list} waits for a moderator")

READABLE = N_("""\
A post to the {list} mailing list ({posting}) waits for a moderator's decision
(held message {request_id}).

From: {author}
Subject: {subject}
Signature: {signature}

It was held because:
{reasons}

{attachment}

Decide on it in Postorius, or through Mailman's REST API: POST {{"action":
"accept"}} (or "reject", "discard") to /3.1/lists/{list_id}/held/{request_id}.
This notice is encrypted to your key alone; the list keeps the post only
encrypted.
""")

ATTACHED = N_("The post is attached, decrypted for you.")
NOT_ATTACHED = N_("The post is not attached: {why}")

KEYLESS = N_("""\
A post to the {list} mailing list ({posting}) waits for a moderator's decision
(held message {request_id}).

This notice says nothing of the post, not even its subject: the list sends what
it holds only encrypted, and it has no usable confirmed key for your address
{email}. To receive held posts encrypted to you, have a key set for {email}:
an administrator of the site can set it (see "Setting subscriber keys" in the
administrator's guide), or, as a member of the list, send it to {request} with
the command "key change" (see the subscriber's guide).

You can read the post decrypted and decide on it in Postorius, or through
Mailman's REST API: GET /3.1/plugins/pgp/lists/{list_id}/held/{request_id}
shows it, and POST {{"action": "accept"}} (or "reject", "discard") to
/3.1/lists/{list_id}/held/{request_id} decides it.
""")

_SIGNATURES = {
    SignatureStatus.BAD: N_(
        "not valid: the post was altered after it was signed, or the signature is damaged"),
    SignatureStatus.EXPIRED_KEY: N_("made by a key that has expired ({signer})"),
    SignatureStatus.REVOKED_KEY: N_("made by a key that has been revoked ({signer})"),
    SignatureStatus.UNKNOWN_KEY: N_("made by a key the list does not know ({issuer})"),
    SignatureStatus.NO_SIGNATURE: N_("none: the post is not signed"),
}


@public
def readable_notice(mlist: IMailingList, request_id: int, author: str,
                    reasons: Sequence[str], post: ReadableHeldPost | None,
                    why_not_attached: str | None = None) -> UserNotification:
    """The notice for moderators with a key: ``post`` attached, decrypted.

    Without ``post``, the notice says ``why_not_attached`` instead. It is addressed to the
    list's -owner address, as Mailman's own, and must be sealed to each moderator's key
    (`send_sealed`), never sent as it is.
    """
    check = post.check if post is not None else None
    subject = (post.subject if post is not None else None) or translate("(no subject)")
    if post is not None:
        attachment = translate(ATTACHED)
    else:
        attachment = translate(NOT_ATTACHED).format(why=why_not_attached or "")
    text = translate(READABLE).format(
        list=mlist.display_name, posting=mlist.posting_address, request_id=request_id,
        author=author, subject=subject,
        signature=signature_summary(check, encrypted=post is None or post.encrypted),
        reasons=_bullets(reasons), attachment=attachment, list_id=mlist.list_id)
    notice = _notice(mlist, mlist.owner_address)
    notice.set_type("multipart/mixed")
    notice.attach(MIMEText(text, _charset="utf-8"))
    if post is not None:
        notice.attach(MIMEMessage(post.message))
    return notice


@public
def keyless_notice(mlist: IMailingList, recipient: str, request_id: int) -> UserNotification:
    """The notice for ``recipient``, who has no usable key: a post waits; nothing of it."""
    text = translate(KEYLESS).format(
        list=mlist.display_name, posting=mlist.posting_address, request_id=request_id,
        email=recipient, request=mlist.request_address, list_id=mlist.list_id)
    return _notice(mlist, recipient, text)


@public
def signature_summary(check: PostCheck | None, *, encrypted: bool = True) -> str:
    """How the post's signature checked out when it came, in a few words."""
    if check is None or not check.opened:
        return (translate("not checked yet") if encrypted
                else translate("not checked: the post came unencrypted"))
    if check.signed_by_sender:
        return translate("good, by the author's confirmed key {key}").format(
            key=check.sender_key)
    if check.status is SignatureStatus.GOOD:
        return translate("good, but by the key {signer}, not the author's confirmed key"
                         " {key}").format(signer=check.signer, key=check.sender_key or "-")
    assert check.status is not None  # an opened check has one
    return translate(_SIGNATURES[check.status]).format(
        signer=check.signer or check.issuer or "-", issuer=check.issuer or "-")


def _notice(mlist: IMailingList, recipient: str, text: str | None = None) -> UserNotification:
    # From the -owner address, as Mailman's own moderator notice: no bounce processing.
    return UserNotification(
        recipient, mlist.owner_address, translate(SUBJECT).format(list=mlist.fqdn_listname),
        text, mlist.preferred_language)


def _bullets(reasons: Sequence[str]) -> str:
    return "\n".join(f"* {reason}" for reason in reasons) or "* " + translate("n/a")
