"""One captured Mailman event, written in the transaction that caused it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from mailman.database.model import Model
from mailman.database.types import UUID, SAUnicode
from public import public
from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, text
from sqlalchemy.orm import Mapped, mapped_column

from mailman_webhooks.clock import isoformat

FANOUT_INDEX = "ix_webhook_event_fanout"


@public
class WebhookEvent(Model):  # type: ignore[misc]  # Mailman's Model has no type information.
    """A Mailman event as sent to receivers.

    ``sequence`` is the primary key, assigned by the database when the capturing
    transaction flushes; it only grows (SQLite's AUTOINCREMENT, a PostgreSQL
    sequence), so consumers can order events. ``id`` is the stable identifier
    sent as ``id`` and ``webhook-id`` on every attempt. ``payload`` is the event
    serialized without secrets; ``secret_payload`` (with confirmation tokens) is
    kept only when an endpoint with ``include_secrets`` matched, and must never
    be returned by the REST API or logged.

    ``fanned_out`` is false from capture until the delivery runner has made the event's
    deliveries, one per endpoint that wants it (`mailman_webhooks.fanout`). Capture writes
    the event row alone, so that Mailman's transaction pays for one row per event,
    whatever the number of endpoints.
    """

    __tablename__ = "webhook_event"
    __table_args__ = (
        # The events still to fan out, oldest first; a fanned-out event (nearly all of
        # them) has no entry, so the runner finds the new ones without a scan.
        Index(
            FANOUT_INDEX,
            "sequence",
            sqlite_where=text("NOT fanned_out"),
            postgresql_where=text("NOT fanned_out"),
        ),
        {"sqlite_autoincrement": True},
    )

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(SAUnicode, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    secret_payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    fanned_out: Mapped[bool] = mapped_column(Boolean, nullable=False)

    def __init__(
        self,
        name: str,
        created: datetime,
        payload: dict[str, Any],
        secret_payload: dict[str, Any] | None = None,
    ) -> None:
        """An event whose deliveries its maker adds itself (an administrator's ping)."""
        super().__init__(
            secret_payload=secret_payload, **self.new_row(name, created, payload, fanned_out=True)
        )

    @staticmethod
    def new_row(
        name: str, created: datetime, payload: Any, *, fanned_out: bool
    ) -> dict[str, Any]:
        """The columns of a new event, with its new identifier.

        Stated once, for this constructor and for the Core INSERTs of capture (which
        leaves the fan-out to the runner) and of the runner's own events (given as a
        value there: a column default would cost capture a tenth of its time).
        """
        return dict(id=uuid.uuid4(), name=name, created=created, payload=payload,
                    fanned_out=fanned_out)

    def body(self, *, include_secrets: bool) -> dict[str, Any]:
        """The JSON document POSTed to an endpoint (before encoding)."""
        event = self.payload
        if include_secrets and self.secret_payload is not None:
            event = self.secret_payload
        return {
            "id": str(self.id),
            "name": self.name,
            "timestamp": isoformat(self.created),
            "sequence": self.sequence,
            "event": event,
        }
