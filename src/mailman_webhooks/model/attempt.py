"""One HTTP try of a delivery, kept for inspection."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mailman.database.model import Model
from mailman.database.types import SAUnicode
from public import public
from sqlalchemy import Column, DateTime, Float, ForeignKey, Integer
from sqlalchemy.orm import relationship

if TYPE_CHECKING:
    from mailman_webhooks.model.delivery import WebhookDelivery


@public
class WebhookAttempt(Model):
    """When a delivery was tried, what came back and how long it took.

    ``status_code`` is empty when no HTTP answer arrived (connection refused,
    timeout); ``error`` then says what happened, without the endpoint's api_key.
    ``duration`` is in seconds.
    """

    __tablename__ = "webhook_attempt"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True, autoincrement=True)
    delivery_id = Column(
        Integer,
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    at = Column(DateTime, nullable=False)
    status_code = Column(Integer, nullable=True)
    duration = Column(Float, nullable=False)
    error = Column(SAUnicode, nullable=True)

    delivery = relationship("WebhookDelivery", back_populates="attempt_log")

    def __init__(
        self,
        delivery: WebhookDelivery,
        at: datetime,
        status_code: int | None,
        duration: float,
        error: str | None,
    ) -> None:
        super().__init__()
        self.delivery = delivery
        self.at = at
        self.status_code = status_code
        self.duration = duration
        self.error = error
