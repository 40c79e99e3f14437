"""``key sign``: a member certifies the list's key with their own, confirmed by that key.

The member sends back the list's public key certified by their confirmed key (``gpg
--sign-key``). The certification must be over the list key's user ID, made by the
member's confirmed key, and verify (`Certificate.certified_by`); and the member must be
one the list's ``key_signers`` setting lets certify. Then a `PGPKeySignWorkflow` sends a
confirmation encrypted to the member's key; ``confirm TOKEN`` signed by it
(`confirm_certification`, called by the ``confirm`` command) merges the certification
into the list's public key.
"""

from __future__ import annotations

import logging
from typing import Any

from mailman.interfaces.command import ContinueProcessing
from mailman.interfaces.subscriptions import ISubscriptionManager
from public import public
from zope.component import getUtility

from mailman_pgp.commands.key_proof import SECRET_KEY_SENT
from mailman_pgp.commands.mail import CommandMail
from mailman_pgp.commands.roles import administers, on_list
from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList, KeySigners
from mailman_pgp.mime import MIMEError, carries_secret_key, extract_key_blocks
from mailman_pgp.openpgp import CommandUnavailable, OpenPGPError
from mailman_pgp.workflows.key_sign import PGPKeySignWorkflow

log = logging.getLogger("mailman.error")


@public
def certifier_refusal(mlist: Any, pgp_list: IPGPMailingList, email: str) -> str | None:
    """Why ``email`` may not certify the key of ``mlist`` (its ``key_signers``), or None."""
    signers = pgp_list.key_signers
    if signers is KeySigners.nobody:
        return f"On {mlist.display_name}, nobody certifies the list's key by email."
    if signers is KeySigners.administrators and not administers(mlist, email):
        return (f"On {mlist.display_name}, only the list's owners and moderators may certify"
                " its key.")
    if signers is KeySigners.members and not on_list(mlist, email):
        return f"On {mlist.display_name}, only the list's members may certify its key."
    return None


@public
def key_sign(mlist: Any, mail: CommandMail, arguments: list[str],
             results: Any) -> ContinueProcessing:
    """``key sign``, the list's key certified by the sender's key attached: confirm it."""
    pgp_list = getUtility(IPGPListManager).get(mlist.list_id)
    sender = mail.sender
    if pgp_list is None or not sender:
        return ContinueProcessing.no
    refusal = certifier_refusal(mlist, pgp_list, sender)
    if refusal is not None:
        print(f"{refusal} Nothing was changed.", file=results)
        return ContinueProcessing.no
    key = getUtility(IPGPAddressKeyManager).get(sender)
    if key is None or not key.confirmed:
        print(f"The list holds no confirmed key for {sender}, so it cannot check a"
              " certification by you. Nothing was changed.", file=results)
        return ContinueProcessing.no
    if carries_secret_key(mail.content):
        print(f"Nothing was changed. {SECRET_KEY_SENT}", file=results)
        return ContinueProcessing.no
    certifier = key.certificate()
    try:
        blocks = extract_key_blocks(mail.content)
        if len(blocks) != 1:
            print(f"Attach the list's key {pgp_list.fingerprint} as gpg exports it after you"
                  " certified it, and nothing else. Nothing was changed.", file=results)
            return ContinueProcessing.no
        settings = pgp_config()
        certified = pgp_list.certificate().certified_by(
            blocks[0], certifier, sop=settings.sop(), limits=settings.key_limits)
    except CommandUnavailable as error:
        log.error("%s: certification by %s not checked: %s", mlist.list_id, sender, error)
        print("The list cannot check certifications right now; please send it again later."
              " Nothing was changed.", file=results)
        return ContinueProcessing.no
    except (OpenPGPError, MIMEError) as error:
        print(f"The certification was not accepted: {error} Nothing was changed.",
              file=results)
        return ContinueProcessing.no
    if certified.armor == pgp_list.public_key:
        print("The list's key carries your certification already. Nothing was changed.",
              file=results)
        return ContinueProcessing.no
    list(PGPKeySignWorkflow(mlist, sender, certifier.fingerprint, certified))
    print(f"The list received your certification of its key {pgp_list.fingerprint}. It has"
          f" sent you a confirmation encrypted to your key {certifier.fingerprint}: answer"
          " it, signed with that key, to add your certification to the list's key.",
          file=results)
    return ContinueProcessing.no


@public
def confirm_certification(mlist: Any, token: str, record: Any,
                          results: Any) -> ContinueProcessing:
    """The confirmation of a ``key sign``, signed by the member's confirmed key (the
    ``confirm`` command checked it): merge the certification, if the member still may."""
    pgp_list = getUtility(IPGPListManager).get(mlist.list_id)
    email = str(record["email"])
    if pgp_list is None:
        return ContinueProcessing.no
    refusal = certifier_refusal(mlist, pgp_list, email)
    if refusal is not None:
        print(f"{refusal} Nothing was changed.", file=results)
        return ContinueProcessing.no
    key = getUtility(IPGPAddressKeyManager).get(email)
    if key is None or not key.confirmed or key.fingerprint != record.get("fingerprint"):
        print(f"Your key is not the key {record.get('fingerprint')} that certified the list's"
              " key any more; certify it again with your key. Nothing was changed.",
              file=results)
        return ContinueProcessing.no
    try:
        ISubscriptionManager(mlist).resume(token)
    except LookupError:
        print(f"The token {token} is not valid any more. Nothing was changed.", file=results)
        return ContinueProcessing.no
    print(f"The list's key {pgp_list.fingerprint} now carries your certification. Anyone who"
          " fetches the list's key sees it.", file=results)
    return ContinueProcessing.no
