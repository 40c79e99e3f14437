"""REST for key changes waiting for a moderator: ``lists/<list_id>/key-changes[/<token>]``.

A member who asks by email for a new key (``key change``) without signing the request with
their confirmed key proves the new key first; the change then waits for a moderator. GET
lists the changes waiting (oldest first) or shows one; POST ``action=accept`` puts the new
key in force, ``action=reject`` (with an optional ``reason``, mailed to the member) drops
the change and leaves the current key in force. A change still waiting for the member's
proof is neither shown nor decided here: a moderator never stands in for that proof.
"""

from enum import Enum
from typing import Any

from mailman.rest.helpers import (
    CollectionMixin,
    bad_request,
    conflict,
    no_content,
    not_found,
    okay,
)
from mailman.rest.validator import enum_validator
from public import public

from mailman_pgp.openpgp import KeyUnusable
from mailman_pgp.workflows.key_change import (
    KeyChangeNotWaiting,
    KeyChangeRequest,
    approve_key_change,
    reject_key_change,
    waiting_key_change,
    waiting_key_changes,
)
from mailman_plugin_kit.rest import (
    PluginPaths,
    Validator,
    respond_with_page,
    storable,
)

NO_REASON = "No reason given."


@public
class KeyChangeAction(Enum):
    """What a moderator does with a waiting key change."""

    accept = "accept"
    reject = "reject"


class _KeyChangeBase(CollectionMixin):
    # Mailman's REST router sets this on each resource it routes a request to.
    api: Any

    def __init__(self, paths: PluginPaths, mlist: Any) -> None:
        self._paths = paths
        self._mlist = mlist

    def _resource_as_dict(self, change: KeyChangeRequest, fields=None) -> dict:
        """See `CollectionMixin`."""
        return dict(
            token=change.token,
            list_id=self._mlist.list_id,
            email=change.email,
            fingerprint=change.fingerprint,
            public_key=change.public_key,
            # The key in force now; null when the address has no confirmed key.
            current_fingerprint=change.current,
            waiting_since=change.waiting_since,
            self_link=self._paths.path(self.api, "lists", self._mlist.list_id, "key-changes",
                                       change.token),
        )


@public
class AllKeyChanges(_KeyChangeBase):
    """The key changes of a PGP list waiting for a moderator."""

    def _get_collection(self, request) -> list[KeyChangeRequest]:
        """See `CollectionMixin`."""
        return waiting_key_changes(self._mlist)

    def on_get(self, request, response) -> None:
        """GET lists/<list_id>/key-changes[?count=&page=]"""
        respond_with_page(self, request, response)


@public
class AKeyChange(_KeyChangeBase):
    """One key change waiting for a moderator."""

    def __init__(self, paths: PluginPaths, mlist: Any, token: str) -> None:
        super().__init__(paths, mlist)
        self._token = token

    def _waiting(self) -> KeyChangeRequest:
        """The change waiting under the token; `KeyChangeNotWaiting` if none."""
        if not storable(self._token):
            raise KeyChangeNotWaiting(self._mlist.list_id, self._token)
        return waiting_key_change(self._mlist, self._token)

    def on_get(self, request, response) -> None:
        """GET lists/<list_id>/key-changes/<token>: 404 unless it waits for a moderator."""
        try:
            change = self._waiting()
        except KeyChangeNotWaiting as error:
            not_found(response, str(error))
            return
        okay(response, self._resource_as_json(change))

    def on_post(self, request, response) -> None:
        """POST {"action": "accept"|"reject", "reason": ...}: 204; 400 for a bad request,
        404 when no change waits under the token, 409 when the new key cannot be used any
        more (accept; reject it instead)."""
        try:
            arguments = Validator(action=enum_validator(KeyChangeAction), reason=str,
                                  _optional=("reason",))(request)
        except ValueError as error:
            bad_request(response, str(error))
            return
        try:
            if not storable(self._token):
                raise KeyChangeNotWaiting(self._mlist.list_id, self._token)
            if arguments["action"] is KeyChangeAction.accept:
                approve_key_change(self._mlist, self._token)
            else:
                reject_key_change(self._mlist, self._token,
                                  arguments.get("reason") or NO_REASON)
        except KeyChangeNotWaiting as error:
            not_found(response, str(error))
            return
        except KeyUnusable as error:
            conflict(response, f"{error} Reject the change instead.")
            return
        no_content(response)
