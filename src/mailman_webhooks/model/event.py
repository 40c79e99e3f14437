"""One captured Mailman event, written in the transaction that caused it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from mailman.database.model import Model
from mailman.database.types import UUID, SAUnicode
from public import public
from sqlalchemy import JSON, Column, DateTime, Integer
from sqlalchemy.orm import relationship

from mailman_webhooks.clock import isoformat


@public
class WebhookEvent(Model):
    """A Mailman event as sent to receivers.

    ``sequence`` is the primary key, assigned by the database when the capturing
    transaction flushes; it only grows (SQLite's AUTOINCREMENT, a PostgreSQL
    sequence), so consumers can order events. ``id`` is the stable identifier
    sent as ``id`` and ``webhook-id`` on every attempt. ``payload`` is the event
    serialized without secrets; ``secret_payload`` (with confirmation tokens) is
    kept only when an endpoint with ``include_secrets`` matched, and must never
    be returned by the REST API or logged.
    """

    __tablename__ = "webhook_event"
    __table_args__ = {"sqlite_autoincrement": True}

    sequence = Column(Integer, primary_key=True, autoincrement=True)
    id = Column(UUID, nullable=False, unique=True)
    name = Column(SAUnicode, nullable=False)
    created = Column(DateTime, nullable=False)
    payload = Column(JSON, nullable=False)
    secret_payload = Column(JSON, nullable=True)

    deliveries = relationship(
        "WebhookDelivery", back_populates="event", cascade="all, delete-orphan"
    )

    def __init__(
        self,
        name: str,
        created: datetime,
        payload: dict[str, Any],
        secret_payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(secret_payload=secret_payload, **self.new_row(name, created, payload))

    @staticmethod
    def new_row(name: str, created: datetime, payload: dict[str, Any]) -> dict[str, Any]:
        """The columns of a new event, with its new identifier.

        Stated once, for this constructor and for capture's Core INSERT (given as a
        value there: a column default would cost capture a tenth of its time).
        """
        return dict(id=uuid.uuid4(), name=name, created=created, payload=payload)

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
