"""The outbox's operations: claim due deliveries, record attempts, endpoint state.

Every function works on the session it is given (Mailman's ``config.db.store``,
or the runner's own) and leaves the commit to its caller, except `claim`, which
must commit so that the claim is seen by other runners before any request goes out.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import datetime

from public import public
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.dml import Update

from mailman_webhooks.backoff import backoff_delay, parse_retry_after
from mailman_webhooks.model import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpointState,
)
from mailman_webhooks.sender import Outcome, Verdict
from mailman_webhooks.settings import Settings

# Answers that speak for the endpoint as a whole rather than for one event: after
# one of them the rest of the endpoint's batch waits as long as the failed one.
_ENDPOINT_WIDE = frozenset({None, 429, 503})
_RETRY_AFTER_STATUSES = frozenset({429, 503})


@public
def disabled_endpoints(store: Session) -> set[str]:
    """Names of the endpoints a 410 Gone answer disabled."""
    query = select(WebhookEndpointState.name).where(WebhookEndpointState.disabled.is_(True))
    return set(store.execute(query).scalars())


@public
def disable_endpoint(store: Session, name: str, reason: str, now: datetime) -> None:
    """Stop sending to an endpoint until `enable_endpoint`; its deliveries wait."""
    state = store.get(WebhookEndpointState, name)
    if state is None:
        state = WebhookEndpointState(name)
        store.add(state)
    state.disabled = True
    state.disabled_reason = reason
    state.disabled_at = now


@public
def enable_endpoint(store: Session, name: str) -> bool:
    """Resume sending to an endpoint; return whether it was disabled."""
    state = store.get(WebhookEndpointState, name)
    if state is None or not state.disabled:
        return False
    state.disabled = False
    state.disabled_reason = None
    state.disabled_at = None
    return True


@public
def claim_statement(
    names: Iterable[str], token: str, now: datetime, settings: Settings
) -> Update:
    """The UPDATE of `claim`, apart so that its SQL can be checked for each database."""
    free = or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now)
    pending = WebhookDelivery.status == DeliveryStatus.pending
    due = (
        select(WebhookDelivery.id)
        .where(pending, WebhookDelivery.next_attempt_at <= now, free)
        .where(WebhookDelivery.endpoint.in_(sorted(names)))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(settings.delivery.batch_size)
        .with_for_update(skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(select(due.c.id)), pending, free)
        .values(claimed_by=token, claimed_until=now + settings.delivery.lease)
        .execution_options(synchronize_session=False)
    )


@public
def claim(store: Session, settings: Settings, now: datetime) -> list[WebhookDelivery]:
    """Claim up to ``batch_size`` due deliveries of enabled endpoints, and commit.

    One UPDATE writes this call's token and lease into rows chosen by a CTE; on
    PostgreSQL it is a MATERIALIZED ``SELECT ... FOR UPDATE SKIP LOCKED``, so
    concurrent runners take disjoint rows without waiting, and the outer WHERE,
    re-checked on the locked row, refuses rows another runner claimed meanwhile.
    (As a plain ``IN (subquery)`` PostgreSQL may rescan the subquery per row and
    skip the rows this very UPDATE already locked, claiming past the LIMIT.)
    SQLite has a single writer, so the one statement is atomic there. The rows
    come back with their events, oldest due first.
    """
    names = set(settings.endpoints) - disabled_endpoints(store)
    if not names:
        store.commit()
        return []
    token = uuid.uuid4().hex
    store.execute(claim_statement(names, token, now, settings))
    store.commit()
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.claimed_by == token)
        .options(joinedload(WebhookDelivery.event))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    )
    return list(store.execute(query).scalars())


@public
def release(
    store: Session, deliveries: Iterable[WebhookDelivery], not_before: datetime | None
) -> None:
    """Give claimed deliveries back without an attempt, due again at ``not_before``."""
    for delivery in deliveries:
        delivery.claimed_by = None
        delivery.claimed_until = None
        if not_before is not None and delivery.next_attempt_at < not_before:
            delivery.next_attempt_at = not_before


@public
def release_token(store: Session, token: str) -> None:
    """Give back every pending delivery still claimed under ``token``."""
    store.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.claimed_by == token,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


@public
def is_endpoint_wide(outcome: Outcome) -> bool:
    """Whether this failure should hold back the endpoint's other deliveries too."""
    return outcome.verdict is Verdict.retry and outcome.status_code in _ENDPOINT_WIDE


@public
def record(
    store: Session,
    delivery: WebhookDelivery,
    outcome: Outcome,
    settings: Settings,
    started: datetime,
    now: datetime,
    rng: random.Random | None = None,
) -> Verdict:
    """Write the attempt and move the delivery on: delivered, retried later, or failed."""
    store.add(WebhookAttempt(delivery, started, outcome.status_code, outcome.duration,
                             outcome.error))
    delivery.attempts += 1
    delivery.last_attempt_at = started
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.claimed_by = None
    delivery.claimed_until = None
    verdict = outcome.verdict
    if verdict is Verdict.delivered:
        _finish(delivery, DeliveryStatus.delivered, now)
    elif verdict is Verdict.gone:
        _finish(delivery, DeliveryStatus.failed, now)
        disable_endpoint(store, delivery.endpoint, "HTTP 410 Gone", now)
    elif verdict is Verdict.final:
        _finish(delivery, DeliveryStatus.failed, now)
    else:
        _schedule_retry(delivery, outcome, settings, now, rng)
    return verdict


def _finish(delivery: WebhookDelivery, status: DeliveryStatus, now: datetime) -> None:
    delivery.status = status
    delivery.finished_at = now
    delivery.next_attempt_at = None


def _schedule_retry(
    delivery: WebhookDelivery,
    outcome: Outcome,
    settings: Settings,
    now: datetime,
    rng: random.Random | None,
) -> None:
    deadline = delivery.created + settings.delivery.retry_period
    if now >= deadline:
        _finish(delivery, DeliveryStatus.failed, now)
        delivery.last_error = f"{outcome.error or 'failed'}; retry period over"
        return
    delay = backoff_delay(delivery.attempts, settings.delivery, rng)
    if outcome.status_code in _RETRY_AFTER_STATUSES:
        asked = parse_retry_after(outcome.retry_after, now)
        if asked is not None and asked > delay:
            delay = asked
    # The last try happens at the end of the retry period, not after it.
    delivery.next_attempt_at = min(now + delay, deadline)
