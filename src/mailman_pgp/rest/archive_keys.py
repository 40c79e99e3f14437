"""REST for the keys a PGP list's archive is encrypted to: ``lists/<list_id>/archive-keys``.

GET lists them; ``archive-keys/<fingerprint>``: GET one, PUT ``{"public_key": armor}``
to add it (or update it: the same key exported anew), DELETE to stop encrypting later
copies to it. Copies already archived stay as they were made.
"""

from typing import Any

from mailman.rest.helpers import (
    CollectionMixin,
    bad_request,
    created,
    no_content,
    not_found,
    okay,
)
from public import public

from mailman_pgp.app.archive_keys import (
    NoArchiveKey,
    add_archive_key,
    archive_key,
    archive_keys,
    remove_archive_key,
)
from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.archive_keys import IPGPArchiveKey
from mailman_pgp.openpgp import OpenPGPError, parse_certificate
from mailman_pgp.rest.list_lookup import NotAPGPList
from mailman_plugin_kit.rest import (
    PluginPaths,
    Validator,
    respond_with_page,
    storable,
)


@public
def archive_keys_resource(paths: PluginPaths, list_id: str, is_pgp_list: bool,
                          not_pgp: str, segments: list[str]) -> Any:
    """The resource of ``lists/<list_id>/archive-keys[/<fingerprint>]``."""
    if not is_pgp_list:
        return (NotAPGPList if not segments else _NotAPGPListKey)(not_pgp)
    if not segments:
        return AllArchiveKeys(paths, list_id)
    return AnArchiveKey(paths, list_id, segments[0])


class _ArchiveKeyBase(CollectionMixin):
    # Mailman's REST router sets this on each resource it routes a request to.
    api: Any

    def __init__(self, paths: PluginPaths, list_id: str) -> None:
        self._paths = paths
        self._list_id = list_id

    def _resource_as_dict(self, key: IPGPArchiveKey, fields=None) -> dict:
        """See `CollectionMixin`."""
        return dict(
            list_id=key.list_id,
            fingerprint=key.fingerprint,
            public_key=key.public_key,
            added_at=key.added_at,
            self_link=self._paths.path(self.api, "lists", key.list_id, "archive-keys",
                                       key.fingerprint),
        )


@public
class AllArchiveKeys(_ArchiveKeyBase):
    """The archive keys of a PGP list, by fingerprint."""

    def _get_collection(self, request) -> list[IPGPArchiveKey]:
        """See `CollectionMixin`."""
        return archive_keys(self._list_id)

    def on_get(self, request, response) -> None:
        """GET lists/<list_id>/archive-keys[?count=&page=]"""
        respond_with_page(self, request, response)


@public
class AnArchiveKey(_ArchiveKeyBase):
    """One archive key of a PGP list."""

    def __init__(self, paths: PluginPaths, list_id: str, fingerprint: str) -> None:
        super().__init__(paths, list_id)
        self._fingerprint = fingerprint

    def on_get(self, request, response) -> None:
        """GET lists/<list_id>/archive-keys/<fingerprint>: 200, or 404."""
        try:
            key = archive_key(self._list_id, self._checked_fingerprint())
        except NoArchiveKey as error:
            not_found(response, str(error))
            return
        okay(response, self._resource_as_json(key))

    def on_put(self, request, response) -> None:
        """PUT {"public_key": armor}: 201 for a new archive key, 204 for an update of it;
        400 for a key that is not one usable public key or has another fingerprint."""
        try:
            armor = Validator(public_key=str)(request)["public_key"]
            fingerprint = parse_certificate(armor, limits=pgp_config().key_limits).fingerprint
        except (ValueError, OpenPGPError) as error:
            bad_request(response, str(error))
            return
        if fingerprint != self._fingerprint.upper():
            bad_request(response, f"The key's fingerprint is {fingerprint}, not"
                                  f" {self._fingerprint}.")
            return
        try:
            key, new = add_archive_key(self._list_id, armor)
        except OpenPGPError as error:
            bad_request(response, str(error))
            return
        if new:
            created(response, self._paths.path(self.api, "lists", self._list_id,
                                               "archive-keys", key.fingerprint))
        else:
            no_content(response)

    def on_delete(self, request, response) -> None:
        """DELETE: 204; 404 when the archive has no such key."""
        try:
            remove_archive_key(self._list_id, self._checked_fingerprint())
        except NoArchiveKey as error:
            not_found(response, str(error))
            return
        no_content(response)

    def _checked_fingerprint(self) -> str:
        if not storable(self._fingerprint):
            raise NoArchiveKey(self._list_id, repr(self._fingerprint[:64]))
        return self._fingerprint


class _NotAPGPListKey(NotAPGPList):
    """``archive-keys/<fingerprint>`` of a list that is not a PGP list: GET, PUT and DELETE."""

    on_put = on_delete = NotAPGPList.on_get
