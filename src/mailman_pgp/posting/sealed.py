"""Mail a PGP list writes for its recipients' eyes only, sealed before it is queued.

Every other notice of a PGP list lies in a queue file as written and is encrypted at
delivery (`mailman_pgp.mta.deliver.deliver_notice`): it holds nothing secret. A notice
that carries what only its recipient may read (a held post, decrypted for a moderator)
must never reach a queue file in the clear. `send_sealed` signs its content by the list
and encrypts a copy to each recipient's key at once, in memory, as RFC 3156 says (the
same form the list's other mail has), and queues the copies in the out queue marked
`SEALED`, which delivery sends as they are.
"""

from __future__ import annotations

import email
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate, make_msgid

from mailman.config import config
from mailman.email.message import Message as MailmanMessage
from public import public
from zope.component import getUtility

from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.mime import content_entity, envelope_headers, with_attached_key
from mailman_pgp.openpgp import Certificate, KeyUnusable
from mailman_pgp.posting.fanout import fan_out, sign_content

# msgdata key: the message is one recipient's copy, signed and encrypted already.
SEALED = "pgp_sealed"



@public
class NotAPGPList(PGPError):
    """Sealed mail was asked of a list that is not a PGP list; nothing was queued."""


@public
@dataclass(frozen=True)
class SealedCopies:
    """Whom `send_sealed` queued a copy for, and whose key could not take one (and why)."""

    queued: list[str] = field(default_factory=list)
    unusable: dict[str, str] = field(default_factory=dict)


@public
def usable_keys(emails: Iterable[str]) -> dict[str, Certificate]:
    """The confirmed keys of ``emails`` that can be encrypted to now, by lower-cased address."""
    keys = {}
    for address, key in getUtility(IPGPAddressKeyManager).confirmed_for(list(emails)).items():
        certificate = key.certificate()
        try:
            certificate.check_usable(sign=False)
        except KeyUnusable:
            continue
        keys[address] = certificate
    return keys


@public
def send_sealed(mlist, notice: Message, keys: Mapping[str, Certificate]) -> SealedCopies:
    """Queue for each address in ``keys`` a copy of ``notice`` signed by ``mlist`` and
    encrypted to that key alone, with the list's public key inside.

    ``notice`` gets a Message-ID and a Date if it has none; its other headers stay
    outside the encryption, so they must say nothing secret. A recipient whose key
    cannot take the copy gets none. Raises `NotAPGPList`, and `MIMEError` for content
    that cannot be signed as it is (then nothing was queued).
    """
    manager = getUtility(IPGPListManager)
    pgp_list = manager.get(mlist.list_id)
    if pgp_list is None:
        raise NotAPGPList(f"{mlist.list_id} is not a PGP list.")
    if "message-id" not in notice:
        notice["Message-ID"] = make_msgid()
    if "date" not in notice:
        notice["Date"] = formatdate(localtime=True)
    content = with_attached_key(content_entity(notice), pgp_list.public_key.encode("ascii"),
                                f"{mlist.list_id}.asc")
    signed = sign_content(content, manager.secret_key(pgp_list))
    result = SealedCopies()
    for copy in fan_out(signed, envelope_headers(notice), dict(sorted(keys.items()))):
        if copy.data is None:
            result.unusable[copy.recipient] = copy.problem or "unusable key"
            continue
        sealed = email.message_from_bytes(copy.data, MailmanMessage)
        config.switchboards["out"].enqueue(
            sealed, recipients={copy.recipient}, listid=mlist.list_id, nodecorate=True,
            reduced_list_headers=True, **{SEALED: True})
        result.queued.append(copy.recipient)
    return result
