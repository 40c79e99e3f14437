"""Setting and removing the public key registered for an email address.

What `set_address_key` changes is announced with the plugin's key events (`KeySetEvent`,
`KeyConfirmedEvent`, `KeyChangedEvent`, `KeyRevokedEvent`), so that subscribers to them
(webhooks among them) see a key an administrator set through REST as they see one a
subscriber proved by email. A key belongs to an address on every list, and the events name
a list: each change is announced once for every PGP list that has the address on a roster
(as member, owner, moderator or nonmember), ordered by list ID, or once with no list
(``mlist`` None) when no PGP list has it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mailman.interfaces.address import IEmailValidator
from mailman.interfaces.mailinglist import IMailingList
from mailman.interfaces.subscriptions import ISubscriptionService
from public import public
from zope.component import getUtility
from zope.event import notify

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.events import (
    KeyChangedEvent,
    KeyConfirmedEvent,
    KeyRevokedEvent,
    KeySetEvent,
)
from mailman_pgp.interfaces.keys import IPGPAddressKey, IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import Certificate, NotAnUpdate, RevocationGiven, parse_certificate


@public
class InvalidEmail(PGPError):
    """The text given as an email address is not one."""

    def __init__(self, email: str) -> None:
        super().__init__(f"{email!r} is not a valid email address.")
        self.email = email


@public
class NoAddressKey(PGPError):
    """No key is registered for the address."""

    def __init__(self, email: str, detail: str = "") -> None:
        message = f"No key is registered for {email}."
        super().__init__(f"{message} {detail}" if detail else message)
        self.email = email


@public
class NothingToRevoke(NoAddressKey):
    """A revocation certificate was given for an address that has no key to revoke."""

    def __init__(self, email: str) -> None:
        super().__init__(
            email, "A revocation certificate only updates a registered key, so there is"
            " nothing to revoke.")


@public
def set_address_key(email: str, armor: str | bytes, *, confirmed: bool) -> IPGPAddressKey:
    """Register ``armor`` as the key of ``email``, or update the key it has.

    When ``armor`` is the key ``email`` has (same fingerprint) as its owner exports it
    now, or a revocation certificate for it, the stored key is updated with it and kept
    even if it is now revoked or expired: that is the truth about the key, and the list
    stops using it. Its confirmed flag stays as it was, since it is still the same key.

    Anything else replaces the key: it must parse as exactly one public certificate
    usable now and, unless ``[keys] require_user_id`` is off, carry ``email`` in a user
    ID; otherwise the `mailman_pgp.openpgp` error says why (`NothingToRevoke` for a
    revocation certificate when there is no key). ``confirmed`` says the holder proved
    the new key (or an administrator vouches for it). The caller commits.

    Announced (see the module), each with the fingerprint of the key the address has now:

    * a new key where the address had none, or had one not confirmed yet: `KeySetEvent`,
      then `KeyConfirmedEvent` if ``confirmed``;
    * a new key in place of a confirmed one: `KeyChangedEvent` if ``confirmed``, else
      `KeySetEvent` (the new key waits for its proof);
    * an update that records a revocation of the key or of a subkey: `KeyRevokedEvent`;
    * any other update (a new expiry, user ID or subkey): nothing, since the key and
      whether it is confirmed stay the same.
    """
    email = _checked(email)
    key = getUtility(IPGPAddressKeyManager).get(email)
    if key is not None:
        held = key.certificate()
        try:
            updated = held.update(armor, limits=pgp_config().key_limits)
        except NotAnUpdate:
            # Another key: a replacement, judged below like any new key.
            pass
        else:
            key.replace(updated, confirmed=key.confirmed)
            if _revoked_parts(updated) - _revoked_parts(held):
                _announce(KeyRevokedEvent, email, updated.fingerprint)
            return key
    required = email if pgp_config().require_user_id else None
    try:
        certificate = parse_certificate(armor, email=required,
                                        limits=pgp_config().key_limits)
    except RevocationGiven as error:
        raise NothingToRevoke(email) from error
    replaces_confirmed = key is not None and key.confirmed
    if key is None:
        key = getUtility(IPGPAddressKeyManager).add(email, certificate, confirmed=confirmed)
    else:
        key.replace(certificate, confirmed=confirmed)
    if confirmed and replaces_confirmed:
        _announce(KeyChangedEvent, email, certificate.fingerprint)
    else:
        _announce(KeySetEvent, email, certificate.fingerprint)
        if confirmed:
            _announce(KeyConfirmedEvent, email, certificate.fingerprint)
    return key


@public
def delete_address_key(email: str) -> None:
    """Forget the key of ``email``; `NoAddressKey` if it has none. The caller commits."""
    keys = getUtility(IPGPAddressKeyManager)
    if keys.get(email) is None:
        raise NoAddressKey(email)
    keys.delete(email)


def _lists_of(email: str) -> list[IMailingList]:
    """The PGP lists that have ``email`` on a roster, in any role, ordered by list ID."""
    pgp_lists = getUtility(IPGPListManager)
    found: dict[str, IMailingList] = {}
    for member in getUtility(ISubscriptionService).find_members(email):
        if member.list_id not in found and pgp_lists.get(member.list_id) is not None:
            found[member.list_id] = member.mailing_list
    return [found[list_id] for list_id in sorted(found)]


def _announce(event: Callable[[Any, str, str], object], email: str, fingerprint: str) -> None:
    """Fire ``event`` for each PGP list of ``email``, or once without a list."""
    for mlist in _lists_of(email) or [None]:
        notify(event(mlist, email, fingerprint))


def _revoked_parts(certificate: Certificate) -> set[str]:
    """The fingerprints of the key's revoked parts: the key itself, its subkeys."""
    revoked = {part.fingerprint for part in certificate.keys[1:] if part.revoked}
    if certificate.revoked:
        revoked.add(certificate.fingerprint)
    return revoked


def _checked(email: str) -> str:
    if not getUtility(IEmailValidator).is_valid(email):
        raise InvalidEmail(email)
    return email.lower()
