"""Setting and removing the public key registered for an email address."""

from mailman.config import config
from mailman.interfaces.address import IEmailValidator
from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.model import PGPAddressKey
from mailman_pgp.openpgp import parse_certificate


@public
class InvalidEmail(PGPError):
    """The text given as an email address is not one."""

    def __init__(self, email: str) -> None:
        super().__init__(f"{email!r} is not a valid email address.")
        self.email = email


@public
class NoAddressKey(PGPError):
    """No key is registered for the address."""

    def __init__(self, email: str) -> None:
        super().__init__(f"No key is registered for {email}.")
        self.email = email


@public
def set_address_key(email: str, armor: str | bytes, *, confirmed: bool) -> PGPAddressKey:
    """Register ``armor`` as the key of ``email``, replacing any key it had.

    The key must parse as exactly one public certificate usable now and, unless
    ``[keys] require_user_id`` is off, carry ``email`` in a user ID; otherwise the
    `mailman_pgp.openpgp` error says why. ``confirmed`` says the holder proved
    the key (or an administrator vouches for it). The caller commits.
    """
    email = _checked(email)
    required = email if pgp_config().require_user_id else None
    certificate = parse_certificate(armor, email=required)
    key = PGPAddressKey.for_email(email)
    if key is None:
        key = PGPAddressKey(email, certificate, confirmed=confirmed)
        config.db.store.add(key)
    else:
        key.replace(certificate, confirmed=confirmed)
    return key


@public
def delete_address_key(email: str) -> None:
    """Forget the key of ``email``; `NoAddressKey` if it has none. The caller commits."""
    key = PGPAddressKey.for_email(email)
    if key is None:
        raise NoAddressKey(email)
    config.db.store.delete(key)


def _checked(email: str) -> str:
    if not getUtility(IEmailValidator).is_valid(email):
        raise InvalidEmail(email)
    return email.lower()
