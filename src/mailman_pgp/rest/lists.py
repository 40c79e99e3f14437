"""REST for PGP lists: ``lists``, ``lists/<list_id>`` (its settings), ``lists/<list_id>/key``
and the key changes waiting for a moderator, ``lists/<list_id>/key-changes``."""

from mailman.interfaces.action import Action
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
from zope.event import notify

from mailman_pgp.app.lists import AlreadyPGPList, make_pgp_list
from mailman_pgp.interfaces.events import PGPListSettingsChangedEvent
from mailman_pgp.interfaces.lists import (
    IPGPListManager,
    IPGPMailingList,
    KeySigners,
    PGPSwitch,
    PolicyCase,
)
from mailman_pgp.openpgp import load_certificate
from mailman_pgp.rest.archive_keys import archive_keys_resource
from mailman_pgp.rest.held import AHeldPost
from mailman_pgp.rest.key_changes import AKeyChange, AllKeyChanges
from mailman_pgp.rest.list_lookup import NotAPGPList, mailing_list, no_pgp_list
from mailman_pgp.rest.member_keys import ListMemberKeys
from mailman_plugin_kit.rest import (
    PluginPaths,
    Validator,
    respond_with_page,
    storable,
)


def as_switch(value: object) -> bool:
    """A switch's value from JSON (true/false) or a form ("true"/"false")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("Accepted Values are: true, false")


# The settings PATCH lists/<list_id> takes, each with its converter.
SETTINGS = {
    "key_signers": enum_validator(KeySigners),
    **{case.setting: enum_validator(Action) for case in PolicyCase},
    **{switch.value: as_switch for switch in PGPSwitch},
}


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
            # What the posting chain does in each case: an Action name.
            **{case.setting: getattr(pgp_list, case.setting).name for case in PolicyCase},
            **{switch.value: getattr(pgp_list, switch.value) for switch in PGPSwitch},
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
        respond_with_page(self, request, response)

    def on_post(self, request, response) -> None:
        """POST lists {"list_id": ...}: 201, 400, 404 (no such list) or 409 (PGP already)."""
        try:
            list_id = Validator(list_id=str)(request)["list_id"]
        except ValueError as error:
            bad_request(response, str(error))
            return
        mlist = mailing_list(list_id)
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
            not_found(response, str(no_pgp_list(self._list_id)))
        else:
            okay(response, self._resource_as_json(self._pgp_list))

    def on_patch(self, request, response) -> None:
        """PATCH lists/<list_id> with any of the settings (`SETTINGS`): 204; 400 naming the
        field and its accepted values for a value it does not take, or the unknown fields.

        The settings that took a new value are announced by `PGPListSettingsChangedEvent`.
        """
        if self._pgp_list is None:
            not_found(response, str(no_pgp_list(self._list_id)))
            return
        try:
            values = Validator(**SETTINGS, _optional=tuple(SETTINGS))(request)
        except ValueError as error:
            bad_request(response, str(error))
            return
        changed = tuple(sorted(name for name, value in values.items()
                               if getattr(self._pgp_list, name) != value))
        for name in changed:
            setattr(self._pgp_list, name, values[name])
        if changed:
            mlist = mailing_list(self._list_id)
            if mlist is not None:
                notify(PGPListSettingsChangedEvent(mlist, changed))
        no_content(response)

    @child()
    def key(self, context, segments):
        """lists/<list_id>/key, and nothing below it"""
        if segments:
            return NotFound(), []
        return AListKey(self._list_id, self._pgp_list), []

    @child("archive-keys")
    def archive_keys(self, context, segments):
        """lists/<list_id>/archive-keys[/<fingerprint>]"""
        if len(segments) > 1:
            return NotFound(), []
        return archive_keys_resource(self._paths, self._list_id, self._pgp_list is not None,
                                     str(no_pgp_list(self._list_id)), segments), []

    @child("member-keys")
    def member_keys(self, context, segments):
        """lists/<list_id>/member-keys, and nothing below it"""
        if segments:
            return NotFound(), []
        return ListMemberKeys(self._list_id), []

    @child()
    def held(self, context, segments):
        """lists/<list_id>/held/<request_id>: a held post, decrypted for its moderators"""
        if len(segments) != 1:
            return NotFound(), []
        return AHeldPost(self._paths, self._list_id, segments[0]), []

    @child("key-changes")
    def key_changes(self, context, segments):
        """lists/<list_id>/key-changes[/<token>]"""
        if len(segments) > 1:
            return NotFound(), []
        mlist = mailing_list(self._list_id)
        if self._pgp_list is None or mlist is None:
            return (NotAPGPList if not segments else _NotAPGPListChange)(
                str(no_pgp_list(self._list_id))), []
        if not segments:
            return AllKeyChanges(self._paths, mlist), []
        return AKeyChange(self._paths, mlist, segments[0]), []


class _NotAPGPListChange(NotAPGPList):
    """``key-changes/<token>`` of a list that is not a PGP list: GET and POST."""

    on_post = NotAPGPList.on_get


@public
class AListKey:
    """A PGP list's public key; its secret half is never served."""

    def __init__(self, list_id: str, pgp_list: IPGPMailingList | None) -> None:
        self._list_id = list_id
        self._pgp_list = pgp_list

    def on_get(self, request, response) -> None:
        """GET lists/<list_id>/key"""
        if self._pgp_list is None:
            not_found(response, str(no_pgp_list(self._list_id)))
            return
        certificate = load_certificate(self._pgp_list.public_key)
        resource = dict(
            list_id=self._pgp_list.list_id,
            fingerprint=self._pgp_list.fingerprint,
            # As for addresses/<email>/key: GnuPG's name, ISO 8601 times (expires null).
            algorithm=certificate.algorithm,
            created=certificate.created,
            expires=certificate.expires,
            public_key=self._pgp_list.public_key,
        )
        okay(response, etag(resource))

