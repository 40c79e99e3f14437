"""The outbox's operations: claim due deliveries, record attempts, endpoint state.

Every function works on the session it is given (Mailman's ``config.db.store``,
or the runner's own) and leaves the commit to its caller, except `claim`, which
must commit so that the claim is seen by other runners before any request goes out.
What an attempt means is decided by `mailman_webhooks.retry`; this module writes it down.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from public import public
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.dml import Update

from mailman_webhooks.model import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpointState,
)
from mailman_webhooks.retry import Decision, Outcome
from mailman_webhooks.settings import Settings


@public
def endpoint_states(store: Session) -> dict[str, WebhookEndpointState]:
    """Every endpoint state row by name (one row per endpoint that ever failed)."""
    rows = store.execute(select(WebhookEndpointState)).scalars()
    return {state.name: state for state in rows}


@public
def claimable_endpoints(
    states: dict[str, WebhookEndpointState], settings: Settings, now: datetime
) -> set[str]:
    """Configured endpoints that are neither disabled nor pausing after failures."""
    names = set(settings.endpoints)
    for state in states.values():
        if state.disabled or (state.retry_at is not None and state.retry_at > now):
            names.discard(state.name)
    return names


@public
def disabled_endpoints(store: Session) -> set[str]:
    """Names of disabled endpoints (by a 410 Gone answer or by an administrator)."""
    query = select(WebhookEndpointState.name).where(WebhookEndpointState.disabled.is_(True))
    return set(store.execute(query).scalars())


@public
def disable_endpoint(
    store: Session,
    name: str,
    reason: str,
    now: datetime,
    states: dict[str, WebhookEndpointState] | None = None,
) -> None:
    """Stop sending to an endpoint until `enable_endpoint`; its deliveries wait.

    ``states`` is the runner's `endpoint_states`, looked up instead of the database so
    that nothing is flushed (and no lock taken) in the middle of its batch.
    """
    state = _state(store, name, states)
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
    state.failures = 0
    state.retry_at = None
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
    """Claim up to ``batch_size`` due deliveries of claimable endpoints, and commit.

    One UPDATE writes this call's token and lease into rows chosen by a CTE; on
    PostgreSQL it is a MATERIALIZED ``SELECT ... FOR UPDATE SKIP LOCKED``, so
    concurrent runners take disjoint rows without waiting, and the outer WHERE,
    re-checked on the locked row, refuses rows another runner claimed meanwhile.
    (As a plain ``IN (subquery)`` PostgreSQL may rescan the subquery per row and
    skip the rows this very UPDATE already locked, claiming past the LIMIT.)
    SQLite has a single writer, so the one statement is atomic there. The rows
    come back with their events, oldest due first.
    """
    names = claimable_endpoints(endpoint_states(store), settings, now)
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
        due = delivery.next_attempt_at
        if not_before is not None and (due is None or due < not_before):
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
def record(
    store: Session,
    delivery: WebhookDelivery,
    outcome: Outcome,
    decision: Decision,
    started: datetime,
    now: datetime,
    states: dict[str, WebhookEndpointState],
) -> None:
    """Write the attempt and what `mailman_webhooks.retry.decide` made of it.

    The delivery is delivered, failed or due again; its endpoint is disabled, pauses
    until the decision's ``endpoint_retry_at``, or stops pausing. ``states`` is the
    caller's `endpoint_states`, kept across calls, so that one session never adds a
    state row twice and nothing is flushed before the caller commits.
    """
    store.add(WebhookAttempt(delivery.id, started, outcome.status_code, outcome.duration,
                             outcome.error))
    delivery.attempts += 1
    delivery.last_attempt_at = started
    delivery.last_status_code = outcome.status_code
    delivery.last_error = decision.error
    delivery.claimed_by = None
    delivery.claimed_until = None
    if decision.next_attempt_at is not None:
        delivery.next_attempt_at = decision.next_attempt_at
    elif decision.delivered:
        _finish(delivery, DeliveryStatus.delivered, now)
    else:
        _finish(delivery, DeliveryStatus.failed, now)
    if decision.disable_reason is not None:
        disable_endpoint(store, delivery.endpoint, decision.disable_reason, now, states)
    if decision.endpoint_retry_at is not None:
        paused = _state(store, delivery.endpoint, states)
        paused.failures = decision.endpoint_failures
        paused.retry_at = decision.endpoint_retry_at
    else:
        state = states.get(delivery.endpoint)
        if state is not None and (state.failures or state.retry_at is not None):
            state.failures = 0
            state.retry_at = None


@public
def expire(store: Session, settings: Settings, now: datetime) -> int:
    """Mark failed the pending deliveries older than the retry period; return how many.

    These are deliveries that never got their last try because their endpoint kept
    pausing. Deliveries of disabled or no longer configured endpoints are kept:
    they wait for the endpoint to come back.
    """
    states = endpoint_states(store)
    names = set(settings.endpoints) - {name for name, s in states.items() if s.disabled}
    if not names:
        return 0
    statement = (
        update(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.created < now - settings.delivery.retry_period,
            WebhookDelivery.endpoint.in_(sorted(names)),
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )
        .values(
            status=DeliveryStatus.failed,
            finished_at=now,
            next_attempt_at=None,
            last_error="retry period over",
        )
        .execution_options(synchronize_session=False)
    )
    # Session.execute is typed to give a Result; for an UPDATE it is a CursorResult.
    result = cast(CursorResult[Any], store.execute(statement))
    return result.rowcount


def _state(
    store: Session, name: str, states: dict[str, WebhookEndpointState] | None
) -> WebhookEndpointState:
    """The endpoint's state row, added when it has none yet."""
    state: WebhookEndpointState | None
    if states is None:
        state = store.get(WebhookEndpointState, name)
    else:
        state = states.get(name)
    if state is None:
        state = WebhookEndpointState(name)
        store.add(state)
        if states is not None:
            states[name] = state
    return state


def _finish(delivery: WebhookDelivery, status: DeliveryStatus, now: datetime) -> None:
    delivery.status = status
    delivery.finished_at = now
    delivery.next_attempt_at = None
