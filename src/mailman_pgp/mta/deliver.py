"""The ``[mta] outgoing`` callable: mail of PGP lists goes out encrypted, all other as before."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.message import Message
from typing import Any

from mailman.interfaces.mta import SomeRecipientsFailed
from public import public
from zope.component import getUtility

from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.mta.digest_delivery import DigestDelivery
from mailman_pgp.mta.encrypted_delivery import EncryptedDelivery
from mailman_pgp.mta.fanout_split import queued_in_chunks
from mailman_pgp.mta.mailman_deliver import deliver_with, retry_only_temporary
from mailman_pgp.mta.pgp_delivery import PGPDelivery
from mailman_pgp.mta.site_outgoing import site_outgoing
from mailman_pgp.openpgp import Certificate, KeyUnusable, load_certificate
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.sealed import SEALED

# msgdata key: address -> armored certificate, for mail that must go encrypted to a
# key that is not (yet) the address's confirmed key, e.g. a challenge to confirm it.
# Those recipients never get a plaintext copy.
ENCRYPT_TO = "pgp_encrypt_to"


@public
def deliver(mlist, msg: Message, msgdata: dict[str, Any]) -> None:
    """Deliver a PGP list's posts by `PGPDelivery`, its other mail encrypted where it can be.

    A copy `send_sealed` made (``msgdata[SEALED]``) is encrypted already and goes as it is.

    Mail of other lists, and mail without a list, goes to the site's callable: the
    ``[mta] outgoing`` configured before the plugin's (`site_outgoing`), Mailman's stock
    ``deliver`` unless the site had its own. A post that did not pass the PGP posting
    chain is refused with `UndeliverablePost`, so it is shunted rather than sent in
    plaintext. A digest goes by `DigestDelivery`. Everything goes through Mailman's own
    delivery code, so it is logged and retried as on any other list.
    """
    if mlist is None or getUtility(IPGPListManager).get(mlist.list_id) is None:
        site_outgoing()(mlist, msg, msgdata)
    elif msgdata.get("isdigest"):
        deliver_with(DigestDelivery(), mlist, msg, msgdata)
    elif msgdata.get(SEALED):
        # Encrypted and signed already, for its one recipient (`send_sealed`).
        retry_only_temporary(site_outgoing(), mlist, msg, msgdata)
    elif PostCheck.load(msgdata) is not None or msgdata.get("to_list"):
        # A post to many members may go on as chunks, one per out runner at a time.
        if not queued_in_chunks(mlist, msg, msgdata):
            deliver_with(PGPDelivery(), mlist, msg, msgdata)
    else:
        deliver_notice(mlist, msg, msgdata)


@public
def deliver_notice(mlist, msg: Message, msgdata: dict[str, Any]) -> None:
    """Deliver mail a PGP list writes itself: notices, replies, challenges, welcomes.

    A recipient with a confirmed key that can encrypt, or with a key given in
    ``msgdata[ENCRYPT_TO]``, gets a copy signed by the list and encrypted to that key,
    the list's public key attached inside; the others (no key, or an expired or
    revoked one) get it as the site's callable sends it, except those of
    ``ENCRYPT_TO``, who get nothing rather than plaintext.
    """
    given = _given_certificates(msgdata.get(ENCRYPT_TO) or {})
    recipients = sorted(set(msgdata.get("recipients") or ()))
    usable = {email for email, key in
              getUtility(IPGPAddressKeyManager).confirmed_for(recipients).items()
              if _can_encrypt_to(key.certificate())}
    keyed = [r for r in recipients if r.lower() in given or r.lower() in usable]
    plain = [r for r in recipients if r not in keyed]
    temporary: list[str] = []
    if keyed:
        agent = EncryptedDelivery(given, attach_list_key=True)
        temporary += _temporary_failures(
            lambda data: deliver_with(agent, mlist, msg, data), dict(msgdata, recipients=keyed))
    if plain:
        temporary += _temporary_failures(
            lambda data: retry_only_temporary(site_outgoing(), mlist, msg, data),
            dict(msgdata, recipients=plain))
    if temporary:
        raise SomeRecipientsFailed(temporary, [])


def _temporary_failures(send: Callable[[dict[str, Any]], None],
                        msgdata: dict[str, Any]) -> list[str]:
    try:
        send(msgdata)
    except SomeRecipientsFailed as failed:
        return list(failed.temporary_failures)
    return []


def _can_encrypt_to(certificate: Certificate) -> bool:
    try:
        certificate.check_usable(sign=False)
    except KeyUnusable:
        return False
    return True


def _given_certificates(armors: Mapping[str, str]) -> dict[str, Certificate]:
    return {email.lower(): load_certificate(armor) for email, armor in armors.items()}
