"""The delivery agent of a PGP list post: open once, sign once, one encrypted copy per member."""

from __future__ import annotations

import logging
import smtplib
from email.message import Message
from typing import Any

from mailman.mta.base import BaseDelivery
from mailman.mta.verp import VERPMixin
from public import public

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.mime import MIMEError
from mailman_pgp.model import PGPAddressKey, PGPMailingList
from mailman_pgp.mta.fanout import envelope_headers, fan_out, sign_content
from mailman_pgp.openpgp import (
    Certificate,
    DecryptionError,
    MalformedMessage,
    PlaintextTooLarge,
)
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.notice import may_tell, tell_undelivered
from mailman_pgp.posting.sealed import NotEncrypted, NotTheCheckedPost, post_content

log = logging.getLogger("mailman.smtp")

Refused = dict[str, tuple[int, str]]
# Failures at delivery that say something about the post rather than the server.
_AUTHORS_PROBLEMS = (NotEncrypted, MIMEError, DecryptionError, MalformedMessage,
                     PlaintextTooLarge)
SERVER_PROBLEM = "A problem on the list's server stopped the list from decrypting or signing it."
# Recipients without a key named in one log line; the rest are counted.
_LOGGED_ADDRESSES = 20


@public
class UndeliverablePost(PGPError):
    """A PGP list post the list cannot open or sign at delivery; nothing was sent.

    Raised out of the ``[mta] outgoing`` callable, it makes the out runner shunt
    the post, sealed as it came, so nothing is lost and nothing leaves in plaintext.
    """


@public
class PGPDelivery(VERPMixin, BaseDelivery):
    """See `IMailTransportAgentDelivery`: a copy per recipient, over one SMTP connection.

    Copies go only to recipients with a confirmed key that can encrypt; the others
    get nothing. The post given to `deliver` is never changed: Mailman re-queues that
    same object when delivery fails for some recipients.
    """

    def deliver(self, mlist, msg: Message, msgdata: dict[str, Any]) -> Refused:
        """See `IMailTransportAgentDelivery`."""
        recipients = sorted(set(msgdata.get("recipients") or ()))
        if not recipients:
            return {}
        pgp_list = PGPMailingList.for_list_id(mlist.list_id)
        if pgp_list is None:
            raise UndeliverablePost(f"{mlist.list_id} is not a PGP list.")
        signed = _signed_content(mlist, pgp_list, msg, msgdata)
        keys = _usable_keys(recipients)
        without_key = [recipient for recipient in recipients if recipient.lower() not in keys]
        if without_key:
            shown = ", ".join(without_key[:_LOGGED_ADDRESSES])
            more = len(without_key) - _LOGGED_ADDRESSES
            log.info(
                "%s to %s: no copy for %d recipients without a confirmed key: %s%s",
                msg.get("message-id", "n/a"), mlist.list_id, len(without_key), shown,
                f" and {more} more" if more > 0 else "",
            )
        by_email = {recipient.lower(): recipient for recipient in recipients}
        headers = envelope_headers(msg)
        refused: Refused = {}
        for copy in fan_out(signed, headers, keys):
            recipient = by_email[copy.recipient]
            if copy.data is None:
                log.info(
                    "%s to %s: no copy for %s, whose key is unusable: %s",
                    msg.get("message-id", "n/a"), mlist.list_id, recipient, copy.problem,
                )
                continue
            sender = self._get_sender(mlist, msg, dict(msgdata, recipient=recipient))
            refused.update(self._send_copy(sender, recipient, copy.data, msg))
        return refused

    def _send_copy(self, sender: str, recipient: str, data: bytes, msg: Message) -> Refused:
        """Hand one copy's wire bytes to the MTA; failures come back as Mailman's refusals.

        Mailman's ``_deliver_to_recipients`` takes a message object and generates it
        anew for SMTP, which for a PGP/MIME copy costs more than its encryption; the
        copy is already in wire form, so it goes to the same connection as bytes, with
        the same answers for the same failures.
        """
        try:
            return self._connection.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as error:
            log.error("%s recipients refused: %s", msg["message-id"], error)
            return error.recipients
        except smtplib.SMTPResponseException as error:
            log.error("%s response exception: %s", msg["message-id"], error)
            return {recipient: (error.smtp_code, error.smtp_error)}
        except (OSError, smtplib.SMTPException) as error:
            # Nothing was delivered: a temporary failure (444), as Mailman counts it.
            log.error("%s low level smtp error: %s", msg["message-id"], error)
            return {recipient: (444, str(error))}


def _signed_content(mlist, pgp_list: PGPMailingList, msg: Message,
                    msgdata: dict[str, Any]) -> bytes:
    """The post's content signed by the list: opened only if it is the post checked.

    Any failure is logged and raised as `UndeliverablePost`, so the post is shunted
    and never sent in plaintext; the author is told, unless the post was not the one
    checked (then the author named in it is not who sent it).
    """
    message_id = msg.get("message-id", "n/a").strip()
    check = PostCheck.load(msgdata)
    if check is None:
        raise UndeliverablePost(
            f"Post {message_id} to the PGP list {mlist.list_id} did not pass the PGP posting"
            " chain; it is not delivered.")
    settings = pgp_config()
    key = pgp_list.secret_key()
    try:
        content = post_content(msg, key, digest=check.digest, sop=settings.sop(),
                               max_plaintext=settings.plaintext_limit(mlist.max_message_size))
        return sign_content(content, key)
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


def _usable_keys(recipients: list[str]) -> dict[str, Certificate]:
    """Lower-cased address to certificate, for recipients with a confirmed key."""
    return {
        email: address_key.certificate()
        for email, address_key in PGPAddressKey.confirmed_for(recipients).items()
    }
