"""The roles the sender of a command holds on the list, for the commands only some may use."""

from __future__ import annotations

from typing import Any

from public import public


@public
def on_list(mlist: Any, email: str) -> bool:
    """Whether ``email`` is subscribed to ``mlist`` as a member, an owner or a moderator."""
    return any(roster.get_member(email) is not None
               for roster in (mlist.members, mlist.administrators))


@public
def administers(mlist: Any, email: str) -> bool:
    """Whether ``email`` is an owner or a moderator of ``mlist``."""
    return mlist.administrators.get_member(email) is not None
