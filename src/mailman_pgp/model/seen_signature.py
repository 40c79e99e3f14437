"""The signatures a PGP list has accepted recently, for replay detection.

One row per post accepted for delivery: the list, a digest naming the post's signature
(`mailman_pgp.posting.check.PostCheck.signature`) and when it was accepted. Bounded in age
(rows older than the replay window go) and in number per list (`SEEN_KEPT`), pruned a
bounded number of rows at a time as posts are recorded, so no post pays for a large
clean-up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mailman.config import config
from mailman.database.model import Model
from mailman.database.types import SAUnicode
from public import public
from sqlalchemy import DateTime, Index, Integer, UniqueConstraint, delete, exists, func, select
from sqlalchemy.orm import Mapped, mapped_column

# The most signatures kept per list; past it the oldest go first.
SEEN_KEPT = 100_000
# The most expired rows one recording deletes.
PRUNED_PER_RECORD = 100
# A list's row count is checked against SEEN_KEPT once in this many recordings.
COUNT_EVERY = 1_000


@public
class PGPSeenSignature(Model):
    """A signature a list accepted a post with, named by its digest."""

    __tablename__ = "pgp_seen_signature"
    __table_args__ = (
        UniqueConstraint("list_id", "digest", name="uq_pgp_seen_signature_list_digest"),
        Index("ix_pgp_seen_signature_list_seen_at", "list_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[str] = mapped_column(SAUnicode, nullable=False)
    digest: Mapped[str] = mapped_column(SAUnicode, nullable=False)
    # Naive UTC, as Mailman stores times.
    seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    def __init__(self, list_id: str, digest: str, seen_at: datetime) -> None:
        super().__init__()
        self.list_id = list_id
        self.digest = digest
        self.seen_at = seen_at


@public
def signature_seen(list_id: str, digest: str, *, since: datetime) -> bool:
    """Whether ``list_id`` accepted a post signed with ``digest`` at or after ``since``."""
    query = select(exists().where(
        PGPSeenSignature.list_id == list_id, PGPSeenSignature.digest == digest,
        PGPSeenSignature.seen_at >= since))
    return bool(config.db.store.execute(query).scalar())


@public
def record_signature(list_id: str, digest: str, *, at: datetime, window: timedelta) -> bool:
    """Remember that ``list_id`` accepted a post signed with ``digest`` at ``at``.

    In the caller's transaction. Returns False, recording nothing, when the signature was
    recorded within ``window`` already; a row older than that is renewed. Prunes up to
    `PRUNED_PER_RECORD` rows of the list older than ``window``, and now and then the oldest
    beyond `SEEN_KEPT`.
    """
    store = config.db.store
    cutoff = at - timedelta(seconds=window.total_seconds())
    row = store.execute(select(PGPSeenSignature).where(
        PGPSeenSignature.list_id == list_id, PGPSeenSignature.digest == digest)).scalar()
    if row is not None and row.seen_at >= cutoff:
        return False
    if row is not None:
        row.seen_at = at
    else:
        row = PGPSeenSignature(list_id, digest, at)
        store.add(row)
    store.flush()
    _prune(list_id, select(PGPSeenSignature.id).where(
        PGPSeenSignature.list_id == list_id, PGPSeenSignature.seen_at < cutoff))
    if row.id % COUNT_EVERY == 0:
        count = store.execute(select(func.count()).where(
            PGPSeenSignature.list_id == list_id)).scalar() or 0
        if count > SEEN_KEPT:
            _prune(list_id, select(PGPSeenSignature.id).where(
                PGPSeenSignature.list_id == list_id), limit=count - SEEN_KEPT)
    return True


@public
def forget_signatures(list_id: str) -> None:
    """Forget every signature ``list_id`` accepted (the list is gone)."""
    config.db.store.execute(delete(PGPSeenSignature).where(PGPSeenSignature.list_id == list_id))


def _prune(list_id: str, ids, limit: int | None = None) -> None:
    oldest = ids.order_by(PGPSeenSignature.seen_at, PGPSeenSignature.id).limit(
        PRUNED_PER_RECORD if limit is None else limit)
    doomed = list(config.db.store.execute(oldest).scalars())
    if doomed:
        config.db.store.execute(delete(PGPSeenSignature).where(PGPSeenSignature.id.in_(doomed)))
