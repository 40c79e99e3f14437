"""REST for subscriber keys: ``addresses/<email>/key`` (GET, PUT, DELETE)."""

from typing import Any

from mailman.rest.helpers import (
    bad_request,
    created,
    etag,
    no_content,
    not_found,
    okay,
)
from public import public
from zope.component import getUtility

from mailman_pgp.app.keys import InvalidEmail, NoAddressKey, delete_address_key, set_address_key
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.openpgp import OpenPGPError
from mailman_plugin_kit.rest import PluginPaths, Validator, storable


@public
class AnAddressKey:
    """The public key registered for one email address."""

    # Mailman's REST router sets this on each resource it routes a request to.
    api: Any

    def __init__(self, paths: PluginPaths, email: str) -> None:
        self._paths = paths
        self._email = email

    def on_get(self, request, response) -> None:
        """GET: fingerprint, user_ids, algorithm, created, expires, revoked, confirmed and
        public_key (armor); 404 without a key."""
        key = getUtility(IPGPAddressKeyManager).get(self._email) if storable(self._email) else None
        if key is None:
            not_found(response, str(NoAddressKey(self._email)))
            return
        certificate = key.certificate()
        resource = dict(
            email=key.email,
            fingerprint=key.fingerprint,
            # The user IDs that are not revoked, as the key carries them.
            user_ids=list(certificate.user_ids),
            # The primary key's algorithm as GnuPG names it: ed25519, rsa4096, nistp256...
            algorithm=certificate.algorithm,
            # ISO 8601 (Mailman's JSON encoder); expires is null for a key that does not
            # expire.
            created=certificate.created,
            expires=certificate.expires,
            revoked=certificate.revoked,
            confirmed=key.confirmed,
            public_key=key.public_key,
            self_link=self._paths.path(self.api, "addresses", key.email, "key"),
        )
        okay(response, etag(resource))

    def on_put(self, request, response) -> None:
        """PUT {"public_key": armor}: a new key, set as confirmed (201 when the address had
        none, 204 when it replaced one), or an update of the key the address has (the same
        key exported anew, or a revocation certificate for it; 204, confirmed flag kept).
        400 for an unusable key or a revocation the key did not make; 404 for a revocation
        when the address has no key."""
        try:
            armor = Validator(public_key=str)(request)["public_key"]
        except ValueError as error:
            bad_request(response, str(error))
            return
        if not storable(self._email):
            bad_request(response, str(InvalidEmail(self._email)))
            return
        had_key = getUtility(IPGPAddressKeyManager).get(self._email) is not None
        try:
            key = set_address_key(self._email, armor, confirmed=True)
        except (InvalidEmail, OpenPGPError) as error:
            bad_request(response, str(error))
            return
        except NoAddressKey as error:
            not_found(response, str(error))
            return
        if had_key:
            no_content(response)
        else:
            created(response, self._paths.path(self.api, "addresses", key.email, "key"))

    def on_delete(self, request, response) -> None:
        """DELETE: 204, or 404 without a key."""
        try:
            if not storable(self._email):
                raise NoAddressKey(self._email)
            delete_address_key(self._email)
        except NoAddressKey as error:
            not_found(response, str(error))
            return
        no_content(response)
