"""REST for the key status of a PGP list's members: ``lists/<list_id>/member-keys``."""

from collections import Counter
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from mailman.rest.helpers import bad_request, etag, not_found, okay
from public import public
from zope.component import getUtility

from mailman_pgp.interfaces.keys import IPGPAddressKey, IPGPAddressKeyManager
from mailman_pgp.rest.list_lookup import NoPGPList, pgp_list_of
from mailman_plugin_kit.rest import paging_error


@public
class MemberKeyState(Enum):
    """Where a member's key stands; only ``confirmed`` gets the list's mail."""

    confirmed = "confirmed"
    waiting = "waiting"
    expired = "expired"
    revoked = "revoked"
    none = "none"


@public
def key_state(key: IPGPAddressKey | None, at: datetime) -> MemberKeyState:
    """The state of ``key`` at ``at``: revoked and expired before whether it is confirmed."""
    if key is None:
        return MemberKeyState.none
    certificate = key.certificate()
    if certificate.revoked:
        return MemberKeyState.revoked
    if certificate.expires is not None and certificate.expires <= at:
        return MemberKeyState.expired
    return MemberKeyState.confirmed if key.confirmed else MemberKeyState.waiting


@public
class ListMemberKeys:
    """GET: the members (role member) of a PGP list with their key's state, and counts."""

    def __init__(self, list_id: str) -> None:
        self._list_id = list_id

    def on_get(self, request, response) -> None:
        """GET [?count=&page=]: ``counts`` of every state over all members; ``entries``
        (by address) one page of them, all without ``count`` and ``page``."""
        problem = paging_error(request)
        if problem:
            bad_request(response, problem)
            return
        try:
            mlist, _pgp_list = pgp_list_of(self._list_id)
        except NoPGPList as error:
            not_found(response, str(error))
            return
        emails = sorted({member.address.email.lower() for member in mlist.members.members})
        keys = getUtility(IPGPAddressKeyManager).keys_for(emails)
        at = datetime.now(UTC)
        entries = []
        for email in emails:
            key = keys.get(email)
            entries.append(dict(
                email=email,
                state=key_state(key, at).value,
                fingerprint=None if key is None else key.fingerprint,
            ))
        counts = Counter(entry["state"] for entry in entries)
        start, page = _page(request, entries)
        resource: dict[str, Any] = dict(
            list_id=self._list_id,
            counts={state.value: counts.get(state.value, 0) for state in MemberKeyState},
            start=start,
            total_size=len(entries),
        )
        if page:
            resource["entries"] = page
        okay(response, etag(resource))


def _page(request: Any, entries: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    count, page = request.get_param("count"), request.get_param("page")
    if count is None:
        return 0, entries
    start = (int(page) - 1) * int(count)
    return start, entries[start:start + int(count)]
