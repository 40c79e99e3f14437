"""When a PGP list last told a member without a usable key that a post was withheld from them.

One row per list and address, so the notice goes at most once a day
(`mailman_pgp.mta.keyless_notice`); a list's rows go with the list
(`PGPListManager.delete`); those of an address that went away only let one notice wait a
day longer, so nothing sweeps them.
"""

from datetime import datetime

from mailman.database.model import Model
from mailman.database.types import SAUnicode
from public import public
from sqlalchemy import DateTime, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column


@public
class PGPWithheldNotice(Model):
    """The time ``email`` was last told that a post to ``list_id`` was withheld."""

    __tablename__ = "pgp_withheld_notice"
    __table_args__ = (Index("ix_pgp_withheld_notice_list_email", "list_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[str] = mapped_column(SAUnicode, nullable=False)
    email: Mapped[str] = mapped_column(SAUnicode, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    def __init__(self, list_id: str, email: str, sent_at: datetime) -> None:
        super().__init__()
        self.list_id = list_id
        self.email = email
        self.sent_at = sent_at
