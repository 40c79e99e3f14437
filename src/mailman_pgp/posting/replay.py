"""Remembering the signature of each post a PGP list accepts, so that it is taken only once.

The ``pgp-replay`` rule refuses (or holds, ...) a post whose signature the list has seen;
this module records the signature when a post is accepted for delivery, which is when it
reaches the posting pipeline (straight from the chain, or after a moderator's approval),
in the pipeline runner's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from mailman.interfaces.action import Action
from mailman.interfaces.pipeline import DiscardMessage
from public import public

from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.model.seen_signature import record_signature
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.policy import list_actions

log = logging.getLogger("mailman.vette")


@public
def remember_signature(mlist, msg: Message, msgdata: MutableMapping[str, Any],
                       check: PostCheck) -> None:
    """Record the signature of the accepted post ``check`` describes.

    A signature recorded already within the replay window means a second copy of a
    post reached the pipeline before the first was recorded (the chain let both
    through). Unless a moderator approved this copy or the list accepts replays, it is
    stopped (`DiscardMessage`), with a line in vette.log: a replayed post is never
    delivered.
    """
    if check.signature is None:
        return
    # The clock signatures are judged by, not Mailman's (which its tests hold still).
    at = datetime.now(UTC).replace(tzinfo=None)
    if record_signature(mlist.list_id, check.signature, at=at,
                        window=pgp_config().replay_window):
        return
    if msgdata.get("moderator_approved") or (
            list_actions(mlist)[PolicyCase.replay] is Action.accept):
        return
    log.info("%s: post %s carries a signature accepted already; not delivered",
             mlist.list_id, msg.get("message-id", "n/a").strip())
    raise DiscardMessage("its signature was accepted already: a replay")
