"""The handler that collects a PGP list's posts for its digest, only ever encrypted."""

import logging

from mailman.handlers.to_digest import ToDigest
from mailman.interfaces.handler import IHandler
from public import public
from zope.component import getUtility
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.mime import classify
from mailman_pgp.posting.at_rest import PLACEHOLDER_SUBJECT, seal
from mailman_pgp.posting.encrypted_post import ENCRYPTED_KINDS

log = logging.getLogger("mailman.vette")

# What a post sealed for the digest shows outside its encryption.
_OUTSIDE = ("message-id", "date")


@public
@implementer(IHandler)
class PGPToDigest:
    """See `IHandler`: Mailman's ``to-digest`` given the post encrypted to the list key.

    A post that arrived encrypted is collected as it arrived (``digest.mmdf`` holds what
    the queues hold); one that arrived in the clear (a list that accepts those) is first
    sealed to the list key, its headers inside. The digest runner opens them in memory.
    """

    name = "pgp-to-digest"
    description = N_("Add the post, encrypted to the list key, to the list's digest.")

    def process(self, mlist, msg, msgdata) -> None:
        """See `IHandler`."""
        if not mlist.digests_enabled or msgdata.get("isdigest"):
            return
        collected = msg
        if classify(msg) not in ENCRYPTED_KINDS:
            pgp_list = getUtility(IPGPListManager).get(mlist.list_id)
            if pgp_list is None:
                log.error("%s is not a PGP list: post %s is not added to its digest",
                          mlist.list_id, msg.get("message-id", "n/a").strip())
                return
            outside = [(name, value) for name, value in msg.items()
                       if name.lower() in _OUTSIDE]
            collected = seal(msg.as_bytes(), [pgp_list.certificate()],
                             [*outside, ("Subject", PLACEHOLDER_SUBJECT)])
        ToDigest().process(mlist, collected, msgdata)
