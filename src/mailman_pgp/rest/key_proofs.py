"""REST for keys sent outside email and proved by email: ``addresses/<email>/key-proofs``.

POST starts the proof of a key on one list (`upload_key`): what the web app's key upload
calls, since ``PUT addresses/<email>/key`` sets a key confirmed and must not serve a
person's own upload. GET lists the keys of the address that wait for their proof or for
a moderator.
"""

from typing import Any

from mailman.interfaces.address import IEmailValidator
from mailman.rest.helpers import accepted, bad_request, conflict, etag, not_found, okay
from public import public
from zope.component import getUtility

from mailman_pgp.app.keys import InvalidEmail
from mailman_pgp.openpgp import OpenPGPError
from mailman_pgp.rest.list_lookup import NoPGPList, pgp_list_of
from mailman_pgp.workflows.key_upload import NothingAwaitsKey, WaitingKey, upload_key, waiting_keys
from mailman_plugin_kit.rest import PluginPaths, Validator, storable


@public
class AddressKeyProofs:
    """The keys of one address waiting to be proved (GET), and a new one to prove (POST)."""

    # Mailman's REST router sets this on each resource it routes a request to.
    api: Any

    def __init__(self, paths: PluginPaths, email: str) -> None:
        self._paths = paths
        self._email = email

    def on_get(self, request, response) -> None:
        """GET: the waiting keys, by list ID, as a collection without paging."""
        if not self._valid_email():
            bad_request(response, str(InvalidEmail(self._email)))
            return
        entries = [self._as_dict(key) for key in waiting_keys(self._email)]
        collection: dict[str, Any] = dict(start=0, total_size=len(entries))
        if entries:
            collection["entries"] = entries
        okay(response, etag(collection))

    def on_post(self, request, response) -> None:
        """POST {"list_id": ..., "public_key": armor}: 202 with the waiting key; 400 for an
        unusable key; 404 for a list that is not a PGP list; 409 when the address is not
        on the list and no request of it to join waits for a key."""
        try:
            values = Validator(list_id=str, public_key=str)(request)
        except ValueError as error:
            bad_request(response, str(error))
            return
        if not self._valid_email():
            bad_request(response, str(InvalidEmail(self._email)))
            return
        list_id = values["list_id"]
        try:
            mlist, _pgp_list = pgp_list_of(list_id)
        except NoPGPList as error:
            not_found(response, str(error))
            return
        try:
            waiting = upload_key(mlist, self._email, values["public_key"])
        except OpenPGPError as error:
            bad_request(response, str(error))
            return
        except NothingAwaitsKey as error:
            conflict(response, str(error))
            return
        accepted(response, etag(self._as_dict(waiting)))

    def _valid_email(self) -> bool:
        return storable(self._email) and getUtility(IEmailValidator).is_valid(self._email)

    def _as_dict(self, key: WaitingKey) -> dict[str, Any]:
        return dict(
            list_id=key.list_id,
            email=key.email,
            fingerprint=key.fingerprint,
            kind=key.kind.value,
            waiting_for=key.waiting_for.value,
            since=key.since,
        )
