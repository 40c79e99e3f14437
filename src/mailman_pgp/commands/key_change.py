"""``key change`` and the ``key confirm`` that answers it: a member replaces their key.

``key change``, a new public key attached, starts a `PGPKeyChangeWorkflow`: the list sends
a challenge encrypted to the new key, and the old key stays in force. ``key confirm
TOKEN``, signed by the new key, answers it (`confirm_key_change`): the new key is in force
at once when the request was signed by the member's confirmed key, else once a moderator
approves it.
"""

from __future__ import annotations

from typing import Any

from mailman.interfaces.command import ContinueProcessing
from mailman.interfaces.subscriptions import ISubscriptionManager
from public import public
from zope.component import getUtility

from mailman_pgp.commands.key_proof import _one_key as attached_key
from mailman_pgp.commands.mail import CommandMail
from mailman_pgp.commands.roles import on_list
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.mime import MIMEError
from mailman_pgp.openpgp import KeyUnusable, OpenPGPError
from mailman_pgp.workflows.key_change import (
    AWAITING_NEW_KEY_PROOF,
    KEY_CHANGE,
    PGPKeyChangeWorkflow,
    challenged_key,
    key_in_force_after,
)
from mailman_pgp.workflows.tokens import TokenRefused, awaiting


@public
def key_change(mlist: Any, mail: CommandMail, arguments: list[str],
               results: Any) -> ContinueProcessing:
    """``key change``, the new public key attached: challenge the new key."""
    sender = mail.sender
    if not sender or not on_list(mlist, sender):
        print(f"Only members of {mlist.display_name} can change their key here.",
              file=results)
        return ContinueProcessing.no
    try:
        certificate = attached_key(mail, sender)
    except (OpenPGPError, MIMEError) as error:
        print(f"The key was not accepted: {error} Nothing was changed.", file=results)
        return ContinueProcessing.no
    try:
        # The challenge goes to what will be in force: for the key held, sent again, that
        # is the two merged.
        certificate = key_in_force_after(sender, certificate)
    except KeyUnusable as error:
        print(f"The key was not accepted: {error} Nothing was changed.", file=results)
        return ContinueProcessing.no
    current = getUtility(IPGPAddressKeyManager).get(sender)
    confirmed = current if current is not None and current.confirmed else None
    signed_by = (confirmed.fingerprint
                 if confirmed is not None and mail.signed_by(confirmed.certificate())
                 else None)
    list(PGPKeyChangeWorkflow(mlist, sender, certificate, signed_by=signed_by))
    print(f"The list received the key {certificate.fingerprint}. It has sent you a message"
          " encrypted to that key: answer it, signed with that key, to prove that you hold"
          " it.", file=results)
    if confirmed is not None:
        print(f"Until the change is made, your key {confirmed.fingerprint} stays in force.",
              file=results)
    if signed_by is None:
        print("This request was not signed by your confirmed key, so a moderator must also"
              " approve the change.", file=results)
    return ContinueProcessing.no


@public
def confirm_key_change(mlist: Any, mail: CommandMail, arguments: list[str],
                       results: Any) -> ContinueProcessing:
    """``key confirm TOKEN`` of a key change, signed by the new key: the proof of it."""
    token = arguments[0]
    try:
        record = awaiting(token, KEY_CHANGE, AWAITING_NEW_KEY_PROOF, "the proof of a key")
    except TokenRefused as error:
        print(error, file=results)
        return ContinueProcessing.no
    certificate = challenged_key(token)
    if not mail.signed_by(certificate):
        status = mail.verification(certificate).status.value.replace("_", " ")
        print(f"Your answer must be signed by the new key {certificate.fingerprint}; it is"
              f" not ({status}). Nothing was changed: the token is still good.", file=results)
        return ContinueProcessing.no
    try:
        key_in_force_after(str(record["email"]), certificate)
    except KeyUnusable as error:
        print(f"The key cannot be used: {error} Nothing was changed.", file=results)
        return ContinueProcessing.no
    new_token, _, _ = ISubscriptionManager(mlist).resume(token)
    if new_token is None:
        print(f"Your key {certificate.fingerprint} is now in force for {record['email']}:"
              " the list encrypts to it, and accepts your posts signed by it.", file=results)
        return ContinueProcessing.no
    current = getUtility(IPGPAddressKeyManager).get(str(record["email"]))
    kept = (f"your key {current.fingerprint} stays in force"
            if current is not None and current.confirmed
            else "the list holds no confirmed key for you")
    print(f"You proved that you hold the key {certificate.fingerprint}. A moderator must"
          f" approve the change, since the request was not signed by your confirmed key;"
          f" until then {kept}.", file=results)
    return ContinueProcessing.no
