"""One event due to one endpoint: the unit the delivery runner claims and retries."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from mailman.database.model import Model
from mailman.database.types import SAUnicode
from public import public
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import relationship

if TYPE_CHECKING:
    from mailman_webhooks.model.event import WebhookEvent


@public
class DeliveryStatus(Enum):
    """Where a delivery stands; only ``pending`` ones are ever claimed."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"


@public
class WebhookDelivery(Model):
    """The delivery of one event to one configured endpoint.

    A pending delivery is due when ``next_attempt_at`` has passed and no runner
    holds it (``claimed_until`` empty or past). A runner claims a batch by writing
    its ``claimed_by`` token and ``claimed_until`` lease, sends, then records the
    outcome and clears the claim. ``attempts`` counts HTTP tries (each also a
    `WebhookAttempt` row); ``last_*`` repeat the latest one for listing.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_sequence", "endpoint"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_claim", "claimed_by"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    event_sequence = Column(
        Integer, ForeignKey("webhook_event.sequence", ondelete="CASCADE"), nullable=False
    )
    endpoint = Column(SAUnicode, nullable=False, index=True)
    status = Column(
        SAEnum(
            DeliveryStatus,
            native_enum=False,
            length=16,
            values_callable=lambda enum: [member.value for member in enum],
        ),
        nullable=False,
    )
    created = Column(DateTime, nullable=False)
    attempts = Column(Integer, nullable=False)
    next_attempt_at = Column(DateTime, nullable=True)
    claimed_by = Column(SAUnicode, nullable=True)
    claimed_until = Column(DateTime, nullable=True)
    last_attempt_at = Column(DateTime, nullable=True)
    last_status_code = Column(Integer, nullable=True)
    last_error = Column(SAUnicode, nullable=True)
    finished_at = Column(DateTime, nullable=True)

    event = relationship("WebhookEvent", back_populates="deliveries")
    attempt_log = relationship(
        "WebhookAttempt",
        back_populates="delivery",
        order_by="WebhookAttempt.id",
        cascade="all, delete-orphan",
    )

    def __init__(self, event: WebhookEvent, endpoint: str, created: datetime) -> None:
        super().__init__(event=event, **self.new_row(endpoint, created))

    @staticmethod
    def new_row(endpoint: str, created: datetime, **columns: Any) -> dict[str, Any]:
        """The columns of a new delivery: pending, not yet tried, due at once.

        Stated once, for this constructor and for capture's Core INSERT, which adds
        ``event_sequence`` in ``columns``.
        """
        return dict(
            endpoint=endpoint,
            status=DeliveryStatus.pending,
            created=created,
            attempts=0,
            next_attempt_at=created,
            **columns,
        )
