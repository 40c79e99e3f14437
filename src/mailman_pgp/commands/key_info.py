"""``key receive`` and ``key status``: what the list can tell anyone, and a member."""

from __future__ import annotations

from typing import Any

from mailman.email.message import UserNotification
from mailman.interfaces.command import ContinueProcessing
from public import public
from zope.component import getUtility

from mailman_pgp.commands.mail import CommandMail
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager


@public
def key_receive(mlist: Any, mail: CommandMail, arguments: list[str],
                results: Any) -> ContinueProcessing:
    """``key receive``: the list's public key, to anyone who asks."""
    pgp_list = getUtility(IPGPListManager).get(mlist.list_id)
    sender = mail.sender
    if pgp_list is None or not sender:
        return ContinueProcessing.no
    reply = UserNotification(sender, mlist.request_address,
                             f"The OpenPGP key of {mlist.display_name}",
                             f"The key of {mlist.posting_address} is {pgp_list.fingerprint}:\n\n"
                             f"{pgp_list.public_key}", mlist.preferred_language)
    reply.send(mlist)
    print(f"The list's key {pgp_list.fingerprint} is on its way to you.", file=results)
    return ContinueProcessing.yes


@public
def key_status(mlist: Any, mail: CommandMail, arguments: list[str],
               results: Any) -> ContinueProcessing:
    """``key status``: the key the list holds for the sender's address, and its state."""
    sender = mail.sender
    key = getUtility(IPGPAddressKeyManager).get(sender) if sender else None
    if key is None:
        print(f"The list holds no key for {sender}.", file=results)
        return ContinueProcessing.yes
    certificate = key.certificate()
    state = "confirmed" if key.confirmed else "not confirmed yet"
    if certificate.revoked:
        state += ", revoked"
    elif certificate.expires is not None:
        state += f", expires {certificate.expires:%Y-%m-%d}"
    print(f"The key for {key.email} is {key.fingerprint} ({state}).", file=results)
    return ContinueProcessing.yes
