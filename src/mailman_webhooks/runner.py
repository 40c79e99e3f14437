"""The delivery runner, ``[runner.webhooks]``: sends what the outbox holds.

Mailman's master starts and supervises it like a built-in runner (the plugin
pushes its section in pre_hook). It has no queue directory: each turn of
Mailman's runner loop claims one batch of due deliveries from the database,
POSTs them, records every attempt, and sleeps ``sleep_time`` when nothing was due.
Several instances (``instances:``, on one or many hosts sharing PostgreSQL) never
hold the same delivery at the same time.
"""

from __future__ import annotations

import json
import logging
import random
import time

from mailman.config import config
from mailman.core.runner import Runner
from mailman.interfaces.runner import RunnerInterrupt
from public import public
from sqlalchemy.orm import Session

from mailman_webhooks import outbox
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import WebhookDelivery, WebhookEndpointState
from mailman_webhooks.retry import decide
from mailman_webhooks.sender import Sender
from mailman_webhooks.settings import Endpoint, Settings

log = logging.getLogger("mailman.plugins")

COMMIT_INTERVAL = 0.2  # seconds
EXPIRY_INTERVAL = 60.0  # seconds between sweeps for deliveries past their retry period


@public
class WebhooksRunner(Runner):  # type: ignore[misc]  # Mailman's Runner has no type information.
    """Deliver the webhook outbox; see the module docstring."""

    is_queue_runner = False

    def __init__(self, name: str, slice: int | None = None) -> None:
        super().__init__(name, slice)
        self.sender = Sender()
        self.rng = random.Random()
        self._next_expiry = 0.0

    def _one_iteration(self) -> int:
        """See `IRunner`: one batch instead of one pass over a queue directory."""
        try:
            return self.process_batch()
        except RunnerInterrupt:
            raise
        except Exception as error:
            # A database hiccup must not kill the runner; the claims expire.
            log.error("webhooks: delivery batch failed (%s)", type(error).__name__)
            return 0

    def process_batch(self) -> int:
        """Claim, send and record one batch; return how many deliveries were claimed."""
        settings = webhooks_settings()
        # A session of its own, which does not reload every row after each commit
        # (Mailman's expires them) and is emptied after the batch, bounding memory.
        with Session(bind=config.db.engine, expire_on_commit=False) as store:
            if time.monotonic() >= self._next_expiry:
                if count := outbox.expire(store, settings, utcnow()):
                    log.info("webhooks: %d deliveries failed, retry period over", count)
                store.commit()
                self._next_expiry = time.monotonic() + EXPIRY_INTERVAL
            return self._process(store, settings)

    def _process(self, store: Session, settings: Settings) -> int:
        batch = outbox.claim(store, settings, utcnow())
        if not batch:
            return 0
        # Every delivery of the batch holds the token of the claim that returned it.
        token = batch[0].claimed_by
        assert token is not None
        states = outbox.endpoint_states(store)
        # Endpoints that answered for all their deliveries (410 Gone, or an
        # endpoint-wide failure that paused them): the rest of their batch goes back.
        held: set[str] = set()
        # Results are committed at most COMMIT_INTERVAL apart (and at the end): one
        # commit per request would cost more than the request on SQLite. A crash
        # loses at most that much of the record, and those events are sent again.
        # Nothing is flushed before the commit, so no lock is held during a request.
        committed = time.monotonic()
        try:
            for delivery in batch:
                endpoint = settings.endpoints.get(delivery.endpoint)
                if endpoint is None or delivery.endpoint in held:
                    outbox.release(store, [delivery], None)
                else:
                    self._deliver(store, settings, endpoint, delivery, states, held)
                if time.monotonic() - committed >= COMMIT_INTERVAL:
                    store.commit()
                    committed = time.monotonic()
            store.commit()
        except BaseException:
            # Stopped or broken mid-batch: what was not recorded is given back at
            # once, rather than when the lease expires.
            store.rollback()
            outbox.release_token(store, token)
            store.commit()
            raise
        return len(batch)

    def _deliver(
        self,
        store: Session,
        settings: Settings,
        endpoint: Endpoint,
        delivery: WebhookDelivery,
        states: dict[str, WebhookEndpointState],
        held: set[str],
    ) -> None:
        event = delivery.event
        body = json.dumps(
            event.body(include_secrets=endpoint.include_secrets),
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")
        started = utcnow()
        outcome = self.sender.send(endpoint, str(event.id), body)
        now = utcnow()
        state = states.get(endpoint.name)
        failures = 0 if state is None else state.failures
        decision = decide(
            outcome, delivery.attempts + 1, delivery.created, failures, settings.delivery, now,
            self.rng,
        )
        outbox.record(store, delivery, outcome, decision, started, now, states)
        if decision.disable_reason is not None:
            log.warning("webhooks: endpoint %s disabled: %s", endpoint.name,
                        decision.disable_reason)
        if decision.holds_endpoint:
            held.add(endpoint.name)

    def _clean_up(self) -> None:
        """See `IRunner`."""
        self.sender.close()
