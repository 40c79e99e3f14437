"""One event due to one endpoint: the unit the delivery runner claims and retries."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from mailman.database.model import Model
from mailman.database.types import SAUnicode
from public import public
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from mailman_webhooks.model.attempt import WebhookAttempt
from mailman_webhooks.model.event import WebhookEvent

ENDPOINT_DUE_INDEX = "ix_webhook_delivery_endpoint_due"
EXPIRY_INDEX = "ix_webhook_delivery_expiry"
FINISHED_INDEX = "ix_webhook_delivery_finished"
CLAIMED_INDEX = "ix_webhook_delivery_claimed"


@public
class DeliveryStatus(Enum):
    """Where a delivery stands; only ``pending`` ones are ever claimed."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"


@public
class WebhookDelivery(Model):  # type: ignore[misc]  # Mailman's Model has no type information.
    """The delivery of one event to one configured endpoint.

    A pending delivery is due when ``next_attempt_at`` has passed and no runner
    holds it (``claimed_until`` empty or past). A runner claims a batch by writing
    its ``claimed_by`` token and ``claimed_until`` lease, sends, then records the
    outcome and clears the claim. ``attempts`` counts HTTP tries (each also a
    `WebhookAttempt` row); ``last_*`` repeat the latest one for listing.
    ``retry_from`` starts its retry period: ``created``, or the time an administrator
    last redelivered it (``created`` itself never changes).
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_sequence", "endpoint"),
        # The retention sweep (`mailman_webhooks.retention`) finds pending deliveries past
        # their retry period by this index, and finished ones past the retention period
        # by the next; a pending row has no entry in the second, so the fan-out never pays it.
        Index(EXPIRY_INDEX, "status", "retry_from"),
        Index(
            FINISHED_INDEX,
            "finished_at",
            sqlite_where=text("finished_at IS NOT NULL"),
            postgresql_where=text("finished_at IS NOT NULL"),
        ),
        # The rows a runner holds, by its claim's token; rows no runner holds (nearly
        # all, and every new one) have no entry, so the fan-out never pays for it.
        Index(
            CLAIMED_INDEX,
            "claimed_by",
            sqlite_where=text("claimed_by IS NOT NULL"),
            postgresql_where=text("claimed_by IS NOT NULL"),
        ),
        # A runner claims per endpoint (`mailman_webhooks.outbox.claim`): this index
        # finds an endpoint's due rows, oldest first, without reading any other's.
        Index(ENDPOINT_DUE_INDEX, "endpoint", "status", "next_attempt_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_sequence: Mapped[int] = mapped_column(
        Integer, ForeignKey("webhook_event.sequence", ondelete="CASCADE"), nullable=False
    )
    # Found by the (endpoint, status, ...) index: an index of its own would double
    # what the fan-out writes for nothing.
    endpoint: Mapped[str] = mapped_column(SAUnicode, nullable=False)
    status: Mapped[DeliveryStatus] = mapped_column(
        SAEnum(
            DeliveryStatus,
            native_enum=False,
            length=16,
            values_callable=lambda enum: [member.value for member in enum],
        ),
        nullable=False,
    )
    created: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    retry_from: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(SAUnicode, nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(SAUnicode, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    # Both relationships are declared here, with their reverse sides as backrefs, so
    # that the event and attempt models need not import this one.
    event: Mapped[WebhookEvent] = relationship(
        "WebhookEvent", backref=backref("deliveries", cascade="all, delete-orphan")
    )
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        "WebhookAttempt",
        backref="delivery",
        order_by="WebhookAttempt.id",
        cascade="all, delete-orphan",
    )

    def __init__(self, event: WebhookEvent, endpoint: str, created: datetime) -> None:
        super().__init__(event=event, **self.new_row(endpoint, created))

    @staticmethod
    def new_row(endpoint: Any, created: Any, **columns: Any) -> dict[str, Any]:
        """The columns of a new delivery: pending, not yet tried, due at once.

        Stated once, for this constructor, for the INSERT of the runner's own events and
        for the fan-out's INSERT ... SELECT, which gives SQL expressions (the event's
        ``created`` and ``sequence``); both add ``event_sequence`` in ``columns``.
        """
        return dict(
            endpoint=endpoint,
            status=DeliveryStatus.pending,
            created=created,
            retry_from=created,
            attempts=0,
            next_attempt_at=created,
            **columns,
        )
