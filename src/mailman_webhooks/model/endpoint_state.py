"""What the runner learned about an endpoint: whether it is disabled, and why."""

from __future__ import annotations

from mailman.database.model import Model
from mailman.database.types import SAUnicode
from public import public
from sqlalchemy import Boolean, Column, DateTime, Integer


@public
class WebhookEndpointState(Model):
    """Run-time state of a configured endpoint, keyed by its name.

    An endpoint without a row is enabled and not pausing. A 410 Gone answer
    disables it: its pending deliveries stay in the outbox, unclaimed, until it is
    enabled again (`mailman_webhooks.outbox.enable_endpoint`), and new events keep
    queueing. ``failures`` counts consecutive endpoint-wide failures (no answer,
    429, 503); none of its deliveries is claimed before ``retry_at``.
    """

    __tablename__ = "webhook_endpoint_state"

    name = Column(SAUnicode, primary_key=True)
    disabled = Column(Boolean, nullable=False, default=False)
    disabled_reason = Column(SAUnicode, nullable=True)
    disabled_at = Column(DateTime, nullable=True)
    failures = Column(Integer, nullable=False, default=0)
    retry_at = Column(DateTime, nullable=True)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.disabled = False
        self.failures = 0
