"""``key set`` and ``key confirm``: a person sends their key, then proves they hold it.

Both answer a token of a PGP list's subscription workflow (`PGPSubscriptionWorkflow`):
``key set`` stores the attached key, unconfirmed, and resumes the workflow, which sends
a challenge encrypted to that key; ``key confirm`` checks that the answer is signed by
that key, confirms it and resumes the workflow.
"""

from __future__ import annotations

from typing import Any

from mailman.interfaces.command import ContinueProcessing
from mailman.interfaces.subscriptions import ISubscriptionManager
from public import public
from zope.component import getUtility
from zope.event import notify

from mailman_pgp.commands.mail import CommandMail
from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.events import KeyConfirmedEvent, KeySetEvent
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.mime import MIMEError, carries_secret_key, extract_key_blocks
from mailman_pgp.openpgp import (
    Certificate,
    NotASingleCertificate,
    OpenPGPError,
    SecretKeyGiven,
    parse_certificate,
)
from mailman_pgp.workflows.subscription import AWAITING_KEY, AWAITING_KEY_PROOF
from mailman_pgp.workflows.tokens import TokenRefused, awaiting

SECRET_KEY_SENT = str(SecretKeyGiven(
    "What you sent holds a secret key. Never share it: send only your public key, and"
    " consider this secret key compromised."))


@public
def key_set(mlist: Any, mail: CommandMail, arguments: list[str],
            results: Any) -> ContinueProcessing:
    """``key set TOKEN``, the public key attached: store it and send its challenge."""
    token = arguments[0]
    try:
        record = awaiting(token, "subscription", AWAITING_KEY, "a key")
    except TokenRefused as error:
        print(error, file=results)
        return ContinueProcessing.no
    email = str(record["email"])
    if (mail.sender or "") != email.lower():
        print(f"Send your key from the address that asked to join, {email}.", file=results)
        return ContinueProcessing.no
    try:
        certificate = _one_key(mail, email)
    except (OpenPGPError, MIMEError) as error:
        print(f"The key was not accepted: {error}", file=results)
        return ContinueProcessing.no
    keys = getUtility(IPGPAddressKeyManager)
    stored = keys.get(email)
    if stored is None:
        keys.add(email, certificate, confirmed=False)
    else:
        stored.replace(certificate, confirmed=False)
    notify(KeySetEvent(mlist, email.lower(), certificate.fingerprint))
    ISubscriptionManager(mlist).resume(token)
    print(f"The list received your key {certificate.fingerprint}. It has sent you a message"
          " encrypted to that key: answer it, signed with the key, to prove that you hold"
          " it.", file=results)
    return ContinueProcessing.no


@public
def key_confirm(mlist: Any, mail: CommandMail, arguments: list[str],
                results: Any) -> ContinueProcessing:
    """``key confirm TOKEN``, signed by the key it challenged: confirm the key."""
    token = arguments[0]
    try:
        record = awaiting(token, "subscription", AWAITING_KEY_PROOF, "the proof of a key")
    except TokenRefused as error:
        print(error, file=results)
        return ContinueProcessing.no
    email = str(record["email"])
    stored = getUtility(IPGPAddressKeyManager).get(email)
    if stored is None:
        print(f"The list holds no key for {email}; ask to join again.", file=results)
        return ContinueProcessing.no
    certificate = stored.certificate()
    if not mail.signed_by(certificate):
        print(f"Your answer must be signed by the key {certificate.fingerprint}; it is not"
              f" ({_why(mail, certificate)}). Nothing was changed: the token is still good.",
              file=results)
        return ContinueProcessing.no
    stored.replace(certificate, confirmed=True)
    notify(KeyConfirmedEvent(mlist, email.lower(), certificate.fingerprint))
    token, owner, member = ISubscriptionManager(mlist).resume(token)
    print(f"Your key {certificate.fingerprint} is confirmed.", file=results)
    if member is not None:
        print(f"You are now a member of {mlist.display_name}.", file=results)
    elif token is not None:
        print("Your request to join waits for a moderator.", file=results)
    return ContinueProcessing.no


def _one_key(mail: CommandMail, email: str) -> Certificate:
    """The one public key the mail carries, usable, for ``email``; refused saying why."""
    if carries_secret_key(mail.content):
        raise SecretKeyGiven(SECRET_KEY_SENT)
    blocks = extract_key_blocks(mail.content)
    if len(blocks) != 1:
        raise NotASingleCertificate(
            "No OpenPGP public key was found in what you sent; attach it, or paste it"
            " into the message." if not blocks else
            f"What you sent holds {len(blocks)} key blocks; please send exactly one.")
    required = email if pgp_config().require_user_id else None
    return parse_certificate(blocks[0], email=required, limits=pgp_config().key_limits)


def _why(mail: CommandMail, certificate: Certificate) -> str:
    status = mail.verification(certificate).status.value.replace("_", " ")
    if mail.problem:
        return f"{status}; {mail.problem}"
    return status
