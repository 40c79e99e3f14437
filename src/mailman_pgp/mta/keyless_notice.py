"""The notice that tells a member without a usable key that a post was withheld from them.

A PGP list sends its posts only encrypted, so a member whose address has no confirmed key
that can encrypt (none set, or one that has expired or been revoked) gets no copy. Instead
they get a few sentences: that a message was withheld, and how to get a key onto the list;
nothing of the post, not even its Subject or author. At most one a day per member and
list (`NOTICE_INTERVAL`), however many posts they miss, so that the notice is a reminder
and not a flood. Only posts draw it: a notice or a reply the list sends a keyless person
goes to them as it is (`mailman_pgp.mta.deliver.deliver_notice`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from mailman.config import config
from mailman.email.message import UserNotification
from mailman.utilities.datetime import now
from public import public

from mailman_pgp.i18n import N_, translate
from mailman_pgp.model.withheld_notice import PGPWithheldNotice
from mailman_pgp.posting.check import PostCheck

log = logging.getLogger("mailman.smtp")

NOTICE_INTERVAL = timedelta(days=1)
# Addresses looked up in one query: well under any database's limit of parameters.
_BATCH = 500

SUBJECT = N_("A message to {list} was withheld from you")

WITHHELD = N_("""\
A message was sent to the {list} mailing list ({posting}), and you did not
receive it: the list sends its messages only encrypted, and it has no usable
confirmed key for your address {email} (none was set, or the one it holds has
expired or been revoked).

To receive the list's messages, have a key set for {email}: send your public
key to {request} with the command "key change", and answer the challenge the
list then sends to that key (the subscriber's guide explains both); or ask the
list's owners at {owners} to set it for you.

The list tells you this at most once a day, however many messages you miss.
""")


@public
def tell_withheld(mlist, msgdata: Mapping[str, Any], recipients: Iterable[str]) -> list[str]:
    """Tell each of ``recipients``, who get no copy of the post ``msgdata`` describes for
    want of a usable key, that it was withheld, unless they were told within a day.

    Does nothing for mail that is not a post (no `PostCheck` in ``msgdata``). Returns
    the addresses told. The times are recorded in the caller's transaction.
    """
    wanted = {address.lower(): address for address in recipients}
    if not wanted or PostCheck.load(dict(msgdata)) is None:
        return []
    moment = now()
    last = _last_notices(mlist.list_id, list(wanted))
    told = []
    for email, address in sorted(wanted.items()):
        record = last.get(email)
        if record is not None and moment - record.sent_at < NOTICE_INTERVAL:
            continue
        _notice(mlist, address).send(mlist)
        if record is None:
            config.db.store.add(PGPWithheldNotice(mlist.list_id, email, moment))
        else:
            record.sent_at = moment
        told.append(address)
    if told:
        log.info("%s: %d members without a usable key told that a post was withheld",
                 mlist.list_id, len(told))
    return told


def _last_notices(list_id: str, emails: list[str]) -> dict[str, PGPWithheldNotice]:
    """The newest notice record of each of ``emails`` on ``list_id``."""
    store = config.db.store
    found: dict[str, PGPWithheldNotice] = {}
    for start in range(0, len(emails), _BATCH):
        batch = emails[start:start + _BATCH]
        for record in store.query(PGPWithheldNotice).filter(
                PGPWithheldNotice.list_id == list_id, PGPWithheldNotice.email.in_(batch)):
            known = found.get(record.email)
            if known is None or record.sent_at > known.sent_at:
                found[record.email] = record
    return found


def _notice(mlist, address: str) -> UserNotification:
    text = translate(WITHHELD).format(
        list=mlist.display_name, posting=mlist.posting_address, email=address,
        request=mlist.request_address, owners=mlist.owner_address)
    return UserNotification(address, mlist.bounces_address,
                            translate(SUBJECT).format(list=mlist.display_name), text,
                            mlist.preferred_language)
