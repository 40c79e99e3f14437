"""What the runner learned about an endpoint: whether it is disabled, and why."""

from __future__ import annotations

from datetime import datetime

from mailman.database.model import Model
from mailman.database.types import SAUnicode
from public import public
from sqlalchemy import Boolean, DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column


@public
class WebhookEndpointState(Model):  # type: ignore[misc]  # Mailman's Model has no type information.
    """Run-time state of a configured endpoint, keyed by its name.

    An endpoint without a row is enabled and not pausing. A 410 Gone answer
    disables it: its pending deliveries stay in the outbox, unclaimed, until it is
    enabled again (`mailman_webhooks.admin.resume_endpoint`), and new events keep
    queueing. ``failures`` counts consecutive endpoint-wide failures (no answer,
    429, 503); none of its deliveries is claimed before ``retry_at``.

    ``last_success_at``, ``last_failure_at``, ``failed_attempts`` (failed attempts since
    the last success) and ``last_error`` are the endpoint's health as the REST API shows
    it, kept up to date by each recorded attempt (`note_attempt`) so that reading it
    never aggregates the attempts table.
    """

    __tablename__ = "webhook_endpoint_state"

    name: Mapped[str] = mapped_column(SAUnicode, primary_key=True)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(SAUnicode, nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(SAUnicode, nullable=True)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.disabled = False
        self.failures = 0
        self.failed_attempts = 0

    def note_attempt(self, at: datetime, error: str | None) -> None:
        """Count one attempt made at ``at``: a success when ``error`` is None."""
        if error is None:
            self.last_success_at = at
            self.failed_attempts = 0
        else:
            self.last_failure_at = at
            self.failed_attempts += 1
            self.last_error = error
