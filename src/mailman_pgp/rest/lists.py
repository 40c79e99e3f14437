"""REST for PGP lists: ``lists``, ``lists/<list_id>`` (its settings), ``lists/<list_id>/key``
and the key changes waiting for a moderator, ``lists/<list_id>/key-changes``."""

from mailman.interfaces.listmanager import IListManager
from mailman.rest.helpers import (
    CollectionMixin,
    NotFound,
    bad_request,
    child,
    conflict,
    created,
    etag,
    no_content,
    not_found,
    okay,
)
from mailman.rest.validator import enum_validator
from public import public
from zope.component import getUtility

from mailman_pgp.app.lists import AlreadyPGPList, make_pgp_list
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList, KeySigners
from mailman_pgp.rest.key_changes import AKeyChange, AllKeyChanges
from mailman_plugin_kit.rest import PluginPaths, Validator, paging_error, storable


class _PGPListBase(CollectionMixin):
    def __init__(self, paths: PluginPaths) -> None:
        self._paths = paths

    def _resource_as_dict(self, pgp_list: IPGPMailingList, fields=None) -> dict:
        """See `CollectionMixin`."""
        # None for a key pair left behind by a list deleted while the plugin was off.
        mlist = getUtility(IListManager).get_by_list_id(pgp_list.list_id)
        return dict(
            list_id=pgp_list.list_id,
            fingerprint=pgp_list.fingerprint,
            posting_chain=None if mlist is None else mlist.posting_chain,
            posting_pipeline=None if mlist is None else mlist.posting_pipeline,
            # Who may certify the list's key by email (key sign): a KeySigners name.
            key_signers=pgp_list.key_signers.value,
            self_link=self._paths.path(self.api, "lists", pgp_list.list_id),
            key_link=self._paths.path(self.api, "lists", pgp_list.list_id, "key"),
            key_changes_link=self._paths.path(self.api, "lists", pgp_list.list_id,
                                              "key-changes"),
        )


@public
class AllPGPLists(_PGPListBase):
    """The PGP lists; POST makes an existing Mailman list one."""

    def _get_collection(self, request) -> list[IPGPMailingList]:
        """See `CollectionMixin`."""
        return list(getUtility(IPGPListManager).lists)

    def on_get(self, request, response) -> None:
        """GET lists[?count=&page=]"""
        problem = paging_error(request)
        if problem:
            bad_request(response, problem)
            return
        okay(response, etag(self._make_collection(request)))

    def on_post(self, request, response) -> None:
        """POST lists {"list_id": ...}: 201, 400, 404 (no such list) or 409 (PGP already)."""
        try:
            list_id = Validator(list_id=str)(request)["list_id"]
        except ValueError as error:
            bad_request(response, str(error))
            return
        mlist = _mailing_list(list_id)
        if mlist is None:
            not_found(response, f"No mailing list {list_id}.")
            return
        try:
            make_pgp_list(mlist)
        except AlreadyPGPList as error:
            conflict(response, str(error))
            return
        created(response, self._paths.path(self.api, "lists", mlist.list_id))


@public
class APGPList(_PGPListBase):
    """One PGP list's settings."""

    def __init__(self, paths: PluginPaths, list_id: str) -> None:
        super().__init__(paths)
        self._list_id = list_id
        self._pgp_list = getUtility(IPGPListManager).get(list_id) if storable(list_id) else None

    def on_get(self, request, response) -> None:
        """GET lists/<list_id>"""
        if self._pgp_list is None:
            not_found(response, _not_pgp(self._list_id))
        else:
            okay(response, self._resource_as_json(self._pgp_list))

    def on_patch(self, request, response) -> None:
        """PATCH lists/<list_id> {"key_signers": "nobody"|"administrators"|"members"}: 204;
        400 naming the accepted values for another value or parameter."""
        if self._pgp_list is None:
            not_found(response, _not_pgp(self._list_id))
            return
        try:
            values = Validator(key_signers=enum_validator(KeySigners),
                               _optional=("key_signers",))(request)
        except ValueError as error:
            bad_request(response, str(error))
            return
        if "key_signers" in values:
            self._pgp_list.key_signers = values["key_signers"]
        no_content(response)

    @child()
    def key(self, context, segments):
        """lists/<list_id>/key, and nothing below it"""
        if segments:
            return NotFound(), []
        return AListKey(self._list_id, self._pgp_list), []

    @child("key-changes")
    def key_changes(self, context, segments):
        """lists/<list_id>/key-changes[/<token>]"""
        if len(segments) > 1:
            return NotFound(), []
        mlist = _mailing_list(self._list_id)
        if self._pgp_list is None or mlist is None:
            return (_NotAPGPList if not segments else _NotAPGPListChange)(self._list_id), []
        if not segments:
            return AllKeyChanges(self._paths, mlist), []
        return AKeyChange(self._paths, mlist, segments[0]), []


class _NotAPGPList:
    """Below a list that is not a PGP list (or no list): 404, saying which, for the methods
    of the resource it stands for (``key-changes``: GET), so that OPTIONS tells the same."""

    def __init__(self, list_id: str) -> None:
        self._list_id = list_id

    def on_get(self, request, response) -> None:
        not_found(response, _not_pgp(self._list_id))


class _NotAPGPListChange(_NotAPGPList):
    """``key-changes/<token>`` of a list that is not a PGP list: GET and POST."""

    on_post = _NotAPGPList.on_get


@public
class AListKey:
    """A PGP list's public key; its secret half is never served."""

    def __init__(self, list_id: str, pgp_list: IPGPMailingList | None) -> None:
        self._list_id = list_id
        self._pgp_list = pgp_list

    def on_get(self, request, response) -> None:
        """GET lists/<list_id>/key"""
        if self._pgp_list is None:
            not_found(response, _not_pgp(self._list_id))
            return
        resource = dict(
            list_id=self._pgp_list.list_id,
            fingerprint=self._pgp_list.fingerprint,
            public_key=self._pgp_list.public_key,
        )
        okay(response, etag(resource))


def _mailing_list(list_id: str):
    """The Mailman list with this List-ID, or None."""
    return getUtility(IListManager).get_by_list_id(list_id) if storable(list_id) else None


def _not_pgp(list_id: str) -> str:
    if _mailing_list(list_id) is None:
        return f"No mailing list {list_id}."
    return f"{list_id} is not a PGP list."
