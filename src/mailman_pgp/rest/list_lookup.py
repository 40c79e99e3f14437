"""The list a PGP resource's URL names, and the 404 text that says which part is missing."""

from __future__ import annotations

from mailman.interfaces.listmanager import IListManager
from mailman.interfaces.mailinglist import IMailingList
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
