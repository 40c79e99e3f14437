"""Setting and removing the public key registered for an email address."""

from mailman.interfaces.address import IEmailValidator
from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.keys import IPGPAddressKey, IPGPAddressKeyManager
from mailman_pgp.openpgp import NotAnUpdate, RevocationGiven, parse_certificate


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
    """
    email = _checked(email)
    key = getUtility(IPGPAddressKeyManager).get(email)
    if key is not None:
        try:
            updated = key.certificate().update(armor)
        except NotAnUpdate:
            # Another key: a replacement, judged below like any new key.
            pass
        else:
            key.replace(updated, confirmed=key.confirmed)
            return key
    required = email if pgp_config().require_user_id else None
    try:
        certificate = parse_certificate(armor, email=required)
    except RevocationGiven as error:
        raise NothingToRevoke(email) from error
    if key is None:
        key = getUtility(IPGPAddressKeyManager).add(email, certificate, confirmed=confirmed)
    else:
        key.replace(certificate, confirmed=confirmed)
    return key


@public
def delete_address_key(email: str) -> None:
    """Forget the key of ``email``; `NoAddressKey` if it has none. The caller commits."""
    keys = getUtility(IPGPAddressKeyManager)
    if keys.get(email) is None:
        raise NoAddressKey(email)
    keys.delete(email)


def _checked(email: str) -> str:
    if not getUtility(IEmailValidator).is_valid(email):
        raise InvalidEmail(email)
    return email.lower()
