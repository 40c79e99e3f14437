"""One HTTP try of a delivery, kept for inspection."""

from __future__ import annotations

from datetime import datetime

from mailman.database.model import Model
from mailman.database.types import SAUnicode
from public import public
from sqlalchemy import DateTime, Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column


@public
class WebhookAttempt(Model):  # type: ignore[misc]  # Mailman's Model has no type information.
    """When a delivery was tried, what came back and how long it took.

    ``status_code`` is empty when no HTTP answer arrived (connection refused,
    timeout); ``error`` then says what happened, without the endpoint's api_key.
    ``duration`` is in seconds. The delivery it belongs to declares the relationship
    (``WebhookDelivery.attempt_log``), so this module needs no other model.
    """

    __tablename__ = "webhook_attempt"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration: Mapped[float] = mapped_column(Float, nullable=False)
    error: Mapped[str | None] = mapped_column(SAUnicode, nullable=True)

    def __init__(
        self,
        delivery_id: int,
        at: datetime,
        status_code: int | None,
        duration: float,
        error: str | None,
    ) -> None:
        super().__init__()
        self.delivery_id = delivery_id
        self.at = at
        self.status_code = status_code
        self.duration = duration
        self.error = error
