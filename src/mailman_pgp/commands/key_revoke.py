"""``key revoke``: a member's revocation certificates, merged into the key the list holds.

A revocation certificate proves itself (only the key's holder can make one, and it is
verified: `Certificate.revocations_from`), so it needs no confirmation and counts whoever
sends it. Only revocations are taken from what is attached. When no usable encryption key
remains, the key is no longer the address's confirmed key: the list sends that address no
mail and refuses its posts until a new key is set and confirmed (``key change``, approved
by a moderator, since a revoked key proves nothing any more).
"""

from __future__ import annotations

import logging
from typing import Any

from mailman.interfaces.command import ContinueProcessing
from public import public
from zope.component import getUtility
from zope.event import notify

from mailman_pgp.commands.key_proof import SECRET_KEY_SENT
from mailman_pgp.commands.mail import CommandMail
from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.events import KeyRevokedEvent
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.mime import MIMEError, carries_secret_key, extract_key_blocks
from mailman_pgp.openpgp import Certificate, CommandUnavailable, KeyUnusable, OpenPGPError

log = logging.getLogger("mailman.error")


@public
def key_revoke(mlist: Any, mail: CommandMail, arguments: list[str],
               results: Any) -> ContinueProcessing:
    """``key revoke``, revocation certificates attached: record them."""
    sender = mail.sender
    key = getUtility(IPGPAddressKeyManager).get(sender) if sender else None
    if key is None:
        print(f"The list holds no key for {sender}: there is nothing to revoke.", file=results)
        return ContinueProcessing.no
    if carries_secret_key(mail.content):
        print(f"Nothing was changed. {SECRET_KEY_SENT}", file=results)
        return ContinueProcessing.no
    held = key.certificate()
    revoked = held
    settings = pgp_config()
    sop = settings.sop()
    try:
        blocks = extract_key_blocks(mail.content)
        if not blocks:
            print("No revocation certificate was found in what you sent; attach it, or paste"
                  " it into the message. Nothing was changed.", file=results)
            return ContinueProcessing.no
        # Each block may cost runs of gpg: no more than one per key the list holds.
        if len(blocks) > len(held.keys):
            print(f"What you sent holds {len(blocks)} key blocks, but your key has only"
                  f" {len(held.keys)} keys to revoke. Nothing was changed.", file=results)
            return ContinueProcessing.no
        for block in blocks:
            revoked = revoked.revocations_from(block, sop=sop, limits=settings.key_limits)
    except CommandUnavailable as error:
        log.error("%s: revocation for %s not checked: %s", mlist.list_id, sender, error)
        print("The list cannot check revocations right now; please send it again later."
              " Nothing was changed.", file=results)
        return ContinueProcessing.no
    except (OpenPGPError, MIMEError) as error:
        print(f"The revocation was not accepted: {error} Nothing was changed.", file=results)
        return ContinueProcessing.no
    newly = _revoked_parts(revoked) - _revoked_parts(held)
    if not newly:
        print(f"The list knew these revocations of your key {held.fingerprint} already."
              " Nothing was changed.", file=results)
        return ContinueProcessing.no
    usable = _can_encrypt(revoked)
    key.replace(revoked, confirmed=key.confirmed and usable)
    notify(KeyRevokedEvent(mlist, key.email, revoked.fingerprint))
    if revoked.fingerprint in newly:
        print(f"Your key {revoked.fingerprint} is now revoked on the list.", file=results)
    else:
        print(f"The subkey {', '.join(sorted(newly))} of your key {revoked.fingerprint} is"
              " now revoked on the list.", file=results)
    if not usable:
        print("No usable encryption key remains in it: the list sends you no mail and"
              " refuses your posts until you set a new key with 'key change' and it is"
              " confirmed. Since the revoked key proves nothing any more, a moderator must"
              " approve that change.", file=results)
    return ContinueProcessing.no


def _revoked_parts(certificate: Certificate) -> set[str]:
    """The fingerprints of the key's revoked parts: the key itself, its subkeys."""
    revoked = {part.fingerprint for part in certificate.keys[1:] if part.revoked}
    if certificate.revoked:
        revoked.add(certificate.fingerprint)
    return revoked


def _can_encrypt(certificate: Certificate) -> bool:
    try:
        certificate.check_usable(sign=False)
        certificate.encryption_probe()
    except KeyUnusable:
        return False
    return True
