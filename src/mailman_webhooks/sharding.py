"""Which runner instance sends to which endpoint, when ``[runner.webhooks]`` has several.

Mailman's master starts ``instances`` processes of a runner, each with its slice number.
The webhooks runner has no queue to split, so it splits the endpoints: each endpoint
belongs to the slice that a stable hash of its name falls in, and only that instance
sends to it. One endpoint is then never sent by two processes of one host at once, so
its events go out in their order, and adding or removing an endpoint moves no other.
(The claim's ``SKIP LOCKED`` still keeps runners of other hosts, or started by hand,
from sending the same delivery twice.)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from public import public


@public
def endpoint_slice(name: str, count: int) -> int:
    """The slice, out of ``count``, that sends to endpoint ``name``: the same in every process.

    Python's own ``hash`` of a string differs from process to process; SHA-256 does not.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


@public
@dataclass(frozen=True)
class Shard:
    """The endpoints of runner instance ``number`` out of ``count``."""

    number: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.number < self.count:
            raise ValueError(
                f"webhooks runner slice {self.number} is not one of the {self.count} "
                "of [runner.webhooks] instances"
            )

    @classmethod
    def of(cls, slice: int | None, instances: int) -> Shard:
        """The shard of a runner Mailman made with ``slice`` (None: started alone, by hand,
        without ``name:slice:range``), ``instances`` being ``[runner.webhooks] instances``."""
        return cls(0, 1) if slice is None else cls(slice, instances)

    def owns(self, endpoint: str) -> bool:
        """Whether this instance sends to ``endpoint``."""
        return self.count == 1 or endpoint_slice(endpoint, self.count) == self.number

    @property
    def keeps_house(self) -> bool:
        """Whether this instance runs the outbox's retention sweep: one per host does."""
        return self.number == 0
