"""The list a PGP resource's URL names, and the 404 text that says which part is missing."""

from __future__ import annotations

from mailman.interfaces.listmanager import IListManager
from mailman.interfaces.mailinglist import IMailingList
from mailman.rest.helpers import not_found
from public import public
from zope.component import getUtility

from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_plugin_kit.rest import storable


@public
class NoPGPList(LookupError):
    """The List-ID names no mailing list, or one that is not a PGP list; the text says which."""


@public
def mailing_list(list_id: str) -> IMailingList | None:
    """The Mailman list with this List-ID, or None (also for a List-ID nothing could store)."""
    return getUtility(IListManager).get_by_list_id(list_id) if storable(list_id) else None


@public
def no_pgp_list(list_id: str) -> NoPGPList:
    """Why ``list_id`` names no PGP list: no list at all, or a plain one."""
    if mailing_list(list_id) is None:
        return NoPGPList(f"No mailing list {list_id}.")
    return NoPGPList(f"{list_id} is not a PGP list.")


@public
def pgp_list_of(list_id: str) -> tuple[IMailingList, IPGPMailingList]:
    """The Mailman list and its PGP settings; `NoPGPList` when either is missing."""
    mlist = mailing_list(list_id)
    pgp_list = None if mlist is None else getUtility(IPGPListManager).get(mlist.list_id)
    if mlist is None or pgp_list is None:
        raise no_pgp_list(list_id)
    return mlist, pgp_list


@public
class NotAPGPList:
    """A resource below a list that is not a PGP list (or no list): 404 with ``description``.

    It answers GET; a subclass adds the other methods of the resource it stands for, so
    that OPTIONS tells the same as for a PGP list.
    """

    def __init__(self, description: str) -> None:
        self._description = description

    def on_get(self, request, response) -> None:
        not_found(response, self._description)
