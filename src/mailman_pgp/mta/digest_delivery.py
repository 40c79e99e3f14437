"""The delivery agent of a PGP list's digest: opened once, signed once, one copy per member."""

from __future__ import annotations

import logging
from email.message import Message
from typing import Any

from public import public
from zope.component import getUtility

from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_pgp.mta.encrypted_delivery import EncryptedDelivery, Undeliverable
from mailman_pgp.posting.at_rest import SEALED_TO_LIST, open_sealed
from mailman_pgp.posting.fanout import sign_content

log = logging.getLogger("mailman.smtp")


@public
class UndeliverableDigest(Undeliverable):
    """A PGP list's digest the list cannot open or sign; shunted, sealed as it is."""


@public
class DigestDelivery(EncryptedDelivery):
    """See `EncryptedDelivery`: the digest comes sealed to the list key and is opened first.

    The digest runner (`mailman_pgp.runners.digest`) queues each digest sealed, recording
    the digest of its ciphertext (`SEALED_TO_LIST`); a digest without that record was not built
    by the plugin and is refused, so it is shunted rather than sent. Digest members
    without a confirmed key get nothing.
    """

    def _signed_content(self, mlist, pgp_list: IPGPMailingList, msg: Message,
                        msgdata: dict[str, Any]) -> bytes:
        message_id = msg.get("message-id", "n/a").strip()
        digest = msgdata.get(SEALED_TO_LIST)
        if not isinstance(digest, str):
            raise UndeliverableDigest(
                f"Digest {message_id} of the PGP list {mlist.list_id} was not sealed by the"
                " PGP digest runner; it is not delivered.")
        key = getUtility(IPGPListManager).secret_key(pgp_list)
        try:
            return sign_content(open_sealed(msg, key, digest=digest), key)
        except PGPError as error:
            log.error("Digest %s of %s is not delivered, the list cannot open or sign it: %s",
                      message_id, mlist.list_id, f"{type(error).__name__}: {error}")
            raise UndeliverableDigest(
                f"The list cannot open or sign digest {message_id}: {error}") from error
