"""Mail of a PGP list signed by the list and encrypted to each recipient alone, sent by Mailman.

`EncryptedDelivery` is the one way a PGP list sends mail only its recipients may read:
the replies to commands, notices, challenges and welcome messages it sends one person
or a few, and, through its subclass `PGPDelivery`, the posts it fans out to every
member. The content is signed once by the list key, each recipient's copy encrypted to
their key alone (`fan_out`) and handed to Mailman's own ``_deliver_to_recipients`` as
a `WireCopy`, so SMTP failures are answered, sessions counted and errors logged as for
any other list.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from typing import Any

from mailman.mta.base import BaseDelivery
from mailman.mta.verp import VERPMixin
from public import public
from zope.component import getUtility

from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_pgp.mime import content_entity, envelope_headers, with_attached_key
from mailman_pgp.mta.keyless_notice import tell_withheld
from mailman_pgp.mta.wire import WireCopy
from mailman_pgp.openpgp import Certificate
from mailman_pgp.posting.fanout import fan_out, sign_content

log = logging.getLogger("mailman.smtp")

Refused = dict[str, tuple[int, str]]
# Recipients without a key named in one log line; the rest are counted.
_LOGGED_ADDRESSES = 20


@public
class Undeliverable(PGPError):
    """Mail of a PGP list that the list cannot send encrypted; nothing was sent.

    Raised out of the ``[mta] outgoing`` callable, it makes the out runner shunt the
    message as it came, so nothing is lost and nothing leaves in plaintext.
    """


@public
@dataclass(frozen=True)
class PreparedCopy:
    """What each recipient's copy carries: ``content`` encrypted, ``headers`` outside."""

    content: bytes
    headers: list[tuple[str, str | Header]]


@public
class EncryptedDelivery(VERPMixin, BaseDelivery):
    """See `IMailTransportAgentDelivery`: ``msg`` signed by its PGP list, encrypted per recipient.

    Each recipient in ``msgdata['recipients']`` gets a copy encrypted to their key:
    the one in ``certificates`` (by address, e.g. a key a challenge is to confirm),
    else their confirmed key. A recipient without one gets nothing. The headers stay
    outside the encryption; ``msg`` itself is never changed. With ``attach_list_key``,
    the list's public key travels inside each copy.
    """

    def __init__(self, certificates: Mapping[str, Certificate] | None = None, *,
                 attach_list_key: bool = False) -> None:
        super().__init__()
        self._certificates = {
            email.lower(): certificate for email, certificate in (certificates or {}).items()
        }
        self._attach_list_key = attach_list_key

    def deliver(self, mlist, msg: Message, msgdata: dict[str, Any]) -> Refused:
        """See `IMailTransportAgentDelivery`."""
        recipients = sorted(set(msgdata.get("recipients") or ()))
        if not recipients:
            return {}
        pgp_list = None if mlist is None else getUtility(IPGPListManager).get(mlist.list_id)
        if pgp_list is None:
            raise Undeliverable(f"{getattr(mlist, 'list_id', None)} is not a PGP list.")
        try:
            copy = self._copy(mlist, pgp_list, msg, msgdata)
            return self._send_copies(mlist, msg, msgdata, recipients, copy)
        except BaseException:
            # Mailman's deliver() closes the connection only after a delivery that returned.
            self._connection.quit()
            raise

    def _copy(self, mlist, pgp_list: IPGPMailingList, msg: Message,
              msgdata: dict[str, Any]) -> PreparedCopy:
        """What every copy carries: `_signed_content` inside, the headers of ``msg`` outside."""
        return PreparedCopy(self._signed_content(mlist, pgp_list, msg, msgdata),
                            envelope_headers(msg))

    def _signed_content(self, mlist, pgp_list: IPGPMailingList, msg: Message,
                        msgdata: dict[str, Any]) -> bytes:
        """What each copy carries encrypted: the content of ``msg`` signed by the list.

        With ``attach_list_key``, the list's public key follows the content as an
        ``application/pgp-keys`` part, so every reader can check and import it.
        """
        key = getUtility(IPGPListManager).secret_key(pgp_list)
        content = content_entity(msg)
        if self._attach_list_key:
            content = with_attached_key(content, pgp_list.public_key.encode("ascii"),
                                        f"{mlist.list_id}.asc")
        return sign_content(content, key)

    def _send_copies(self, mlist, msg: Message, msgdata: dict[str, Any],
                     recipients: list[str], prepared: PreparedCopy) -> Refused:
        """Encrypt the prepared content to each recipient and send it by Mailman's own code."""
        keys = self._keys(recipients)
        message_id = msg.get("message-id", "n/a")
        without_key = [recipient for recipient in recipients if recipient.lower() not in keys]
        if without_key:
            shown = ", ".join(without_key[:_LOGGED_ADDRESSES])
            more = len(without_key) - _LOGGED_ADDRESSES
            log.info(
                "%s to %s: no copy for %d recipients without a confirmed key: %s%s",
                message_id, mlist.list_id, len(without_key), shown,
                f" and {more} more" if more > 0 else "",
            )
        by_email = {recipient.lower(): recipient for recipient in recipients}
        refused: Refused = {}
        for copy in fan_out(prepared.content, prepared.headers, keys):
            recipient = by_email[copy.recipient]
            if copy.data is None:
                log.info("%s to %s: no copy for %s, whose key is unusable: %s",
                         message_id, mlist.list_id, recipient, copy.problem)
                without_key.append(recipient)
                continue
            refused.update(self._deliver_to_recipients(
                mlist, WireCopy(copy.data, msg), dict(msgdata, recipient=recipient),
                [recipient]))
        tell_withheld(mlist, msgdata, without_key)
        return refused

    def _keys(self, recipients: list[str]) -> dict[str, Certificate]:
        """Lower-cased address to the certificate its copy is encrypted to, sorted."""
        keys = {
            email: address_key.certificate()
            for email, address_key
            in getUtility(IPGPAddressKeyManager).confirmed_for(recipients).items()
        }
        wanted = {recipient.lower() for recipient in recipients}
        keys.update((email, certificate) for email, certificate in self._certificates.items()
                    if email in wanted)
        # In the recipients' order (sorted, as Mailman sends), not the database's.
        return {email: keys[email] for email in sorted(keys)}
