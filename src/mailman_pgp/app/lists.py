"""Making a Mailman list a PGP list: its key pair, and the chain and pipeline it posts through."""

from mailman.interfaces.mailinglist import IListArchiverSet, IMailingList
from public import public
from zope.component import getUtility
from zope.event import notify

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.events import ListKeyCreatedEvent
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_pgp.openpgp import generate_key

POSTING_CHAIN = "pgp-posting-chain"
POSTING_PIPELINE = "pgp-posting-pipeline"


@public
class AlreadyPGPList(PGPError):
    """The list is a PGP list already; it keeps the key it has."""

    def __init__(self, list_id: str) -> None:
        super().__init__(f"{list_id} is already a PGP list.")
        self.list_id = list_id


@public
def list_user_id(mlist: IMailingList, address: str | None = None) -> str:
    """A user ID of a list's key: ``Display Name <posting address>`` (its primary one), or
    with ``address`` (the -request address) in place of the posting address."""
    address = address or mlist.posting_address
    name = " ".join(mlist.display_name.replace("<", " ").replace(">", " ").split())
    return f"{name} <{address}>" if name else f"<{address}>"


@public
def make_pgp_list(mlist: IMailingList) -> IPGPMailingList:
    """Give ``mlist`` a key pair and switch it to `POSTING_CHAIN` and `POSTING_PIPELINE`.

    The secret key is stored protected with the plugin's passphrase, never in the
    clear; `ListKeyCreatedEvent` announces the new key by its fingerprint. The list's
    archiver rows are made now, before any runner asks for them. Raises
    `AlreadyPGPList` when the list is one already. The caller commits.
    """
    if getUtility(IPGPListManager).get(mlist.list_id) is not None:
        raise AlreadyPGPList(mlist.list_id)
    key = generate_key(list_user_id(mlist), pgp_config().key_algorithm,
                       more_user_ids=[list_user_id(mlist, mlist.request_address)])
    pgp_list = getUtility(IPGPListManager).create(mlist.list_id, key)
    mlist.posting_chain = POSTING_CHAIN
    mlist.posting_pipeline = POSTING_PIPELINE
    # Mailman adds a list's archiver rows when a process first asks for them, with no
    # unique constraint: on a PGP list the out runner (decorations) and the archive runner
    # would ask at once for its first post, add them twice, and every later lookup would
    # fail (MultipleResultsFound). Added here, they commit with the list's key.
    IListArchiverSet(mlist)
    notify(ListKeyCreatedEvent(mlist, pgp_list.fingerprint))
    return pgp_list
