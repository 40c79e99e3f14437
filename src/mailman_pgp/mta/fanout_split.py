"""One post's fan-out spread over the out runner's instances: its recipients in chunks.

pysequoia holds the GIL, so a process encrypts one copy at a time however many cores the
machine has. When Mailman runs several out runner instances (``[runner.out] instances``),
a PGP list post to more recipients than ``[delivery] split_above`` is queued again in the
out queue as chunks of at most ``[delivery] chunk_size`` recipients: each entry is the
post as it came (the ciphertext) with its check record and its share of the recipients.
Each out runner takes the entries of its slice of the queue, which Mailman's switchboard
picks by the hash of an entry's file name; the chunks are queued so that every slice gets
its share, and the same members the same slice at every post (`_queue_evenly`).
Whichever runner takes a chunk fans it out, logs it, and retries its own failures: the
out and retry runners treat a chunk as any queued message.

The chunks are queued before the out runner removes the original entry: a process that
dies in between leaves the original to be delivered again (Mailman's own at-least-once
hand-over between runners), never a recipient without a copy.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from email.message import Message
from pathlib import Path
from typing import Any
from uuid import uuid4

from mailman.config import config
from mailman.core.switchboard import Switchboard
from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.mta.pgp_delivery import SHARED_COPY, PGPDelivery

log = logging.getLogger("mailman.smtp")

# msgdata key: this entry is chunk ``number`` of ``count`` of a post, never split again.
CHUNK = "pgp_fanout_chunk"
# Writes of one chunk looking for its slice, per out runner instance: each write lands in
# a given slice with probability 1/instances, so the bound (16 times the expected number of
# writes) is practically never reached; then the chunk stays in the slice it fell into.
_PLACING_ATTEMPTS = 16


@public
def out_instances() -> int:
    """How many out runner processes Mailman starts (``[runner.out] instances``)."""
    return int(getattr(config, "runner.out").instances)


@public
def recipient_chunks(msgdata: dict[str, Any]) -> list[list[str]]:
    """The post's recipients in the chunks it is split into; empty when it is not split.

    A post is split when the out runner has more than one instance, it has more
    recipients than ``split_above``, and it is not a chunk already. The chunks are
    disjoint, cover every recipient once, and are sorted.
    """
    if CHUNK in msgdata or out_instances() < 2:
        return []
    settings = pgp_config()
    recipients = sorted(set(msgdata.get("recipients") or ()))
    if len(recipients) <= settings.split_above:
        return []
    size = settings.chunk_size
    return [recipients[start:start + size] for start in range(0, len(recipients), size)]


@public
def queued_in_chunks(mlist, msg: Message, msgdata: dict[str, Any]) -> bool:
    """Queue the PGP list post ``msg`` again as chunks of its recipients, if it is split.

    True when it was: the chunks are in the out queue and nothing is left to do here.
    Before splitting, the post is opened and its copy made once, so that a post the list
    cannot open is refused whole (`UndeliverablePost`: shunted, its author told once)
    rather than once per chunk. The chunks share that copy (``SHARED_COPY``): each out
    runner process makes it at most once for all the chunks it takes.
    """
    chunks = recipient_chunks(msgdata)
    if not chunks:
        return False
    pgp_list = getUtility(IPGPListManager).get(mlist.list_id)
    shared = dict(msgdata, **{SHARED_COPY: uuid4().hex})
    PGPDelivery()._copy(mlist, pgp_list, msg, shared)
    entries = [dict(shared, recipients=recipients, **{CHUNK: (number, len(chunks))})
               for number, recipients in enumerate(chunks, start=1)]
    _queue_evenly(msg, entries, out_instances())
    log.info("%s to %s: %d recipients queued in %d chunks for %d out runners",
             msg.get("message-id", "n/a").strip(), mlist.list_id,
             sum(len(chunk) for chunk in chunks), len(chunks), out_instances())
    return True


def _queue_evenly(msg: Message, entries: list[dict[str, Any]], instances: int) -> None:
    """Queue ``msg`` with each of ``entries`` in the out queue, the n-th entry in slice
    n mod ``instances``: as many in each slice, and at every post the same members in the
    same slice, so each out runner process finds their keys parsed already (it keeps
    those it parsed: `PGPAddressKey.certificate`).

    Mailman's switchboard names a queue file itself (by a hash of the message and the
    time), and the name decides its slice. So each entry is written by a switchboard in a
    directory of its own inside the out queue, which no runner reads (runners read only
    ``.pck`` files), and moved into the queue when it falls into its slice, or written
    again. A move within a directory tree is atomic: a runner sees the whole file or none.
    """
    out = Path(config.switchboards["out"].queue_directory)
    staging = Path(tempfile.mkdtemp(prefix="split-", dir=out))
    try:
        writer = Switchboard("out", str(staging))
        slices = [Switchboard("out", str(staging), number, instances)
                  for number in range(instances)]
        for index, entry in enumerate(entries):
            wanted = slices[index % instances]
            for _attempt in range(_PLACING_ATTEMPTS * instances):
                filebase = writer.enqueue(msg, entry)
                if filebase in wanted.files:
                    break
                os.unlink(staging / f"{filebase}.pck")
            else:
                filebase = writer.enqueue(msg, entry)
            os.rename(staging / f"{filebase}.pck", out / f"{filebase}.pck")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
