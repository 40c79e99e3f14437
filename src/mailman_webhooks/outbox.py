"""The outbox's operations: claim an endpoint's due deliveries, record attempts, endpoint state.

Every function works on the session it is given (Mailman's ``config.db.store``,
or a runner thread's own) and leaves the commit to its caller, except `claim`, which
must commit so that the claim is seen by other runners before any request goes out.
What an attempt means is decided by `mailman_webhooks.retry`; this module writes it down.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from public import public
from sqlalchemy import CursorResult, Table, Text, bindparam, insert, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, Update

from mailman_webhooks import delivery_events
from mailman_webhooks.clock import isoformat
from mailman_webhooks.delivery_events import WebhookDeliveryFailedEvent
from mailman_webhooks.model import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpointState,
    WebhookEvent,
)
from mailman_webhooks.retry import Decision, Outcome
from mailman_webhooks.settings import Settings

log = logging.getLogger("mailman.plugins")

# The tables themselves: the runner's statements are Core statements. An ORM statement
# with a list of parameters would be an ORM bulk operation, by primary key only, and
# ORM statements and objects cost the runner more CPU than the rest of a delivery.
_DELIVERIES = cast(Table, WebhookDelivery.__table__)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)
_EVENTS = cast(Table, WebhookEvent.__table__)
_STATES = cast(Table, WebhookEndpointState.__table__)


@public
@dataclass(frozen=True)
class Claimed:
    """A delivery a runner claimed, with what sending it needs of its event.

    ``payload`` and ``secret_payload`` are the event's JSON text as stored, so that
    the body is put together around it, never decoded and encoded again.
    """

    id: int
    endpoint: str
    claimed_by: str
    attempts: int
    retry_from: datetime
    event_sequence: int
    event_id: str
    event_name: str
    event_created: datetime
    payload: str
    secret_payload: str | None

    def body(self, *, include_secrets: bool) -> bytes:
        """The JSON document POSTed, as `WebhookEvent.body` describes it, encoded."""
        event = self.payload
        if include_secrets and self.secret_payload is not None:
            event = self.secret_payload
        head = json.dumps(
            {"id": self.event_id, "name": self.event_name,
             "timestamp": isoformat(self.event_created), "sequence": self.event_sequence},
            separators=(",", ":"), ensure_ascii=False,
        )
        return f'{head[:-1]},"event":{event}}}'.encode()


@public
@dataclass(frozen=True)
class Attempted:
    """One claimed delivery tried once: when, what came back, and what it means.

    ``attempt`` counts this delivery's attempts, this one included; ``event_id``,
    ``event_name`` and ``sequence`` say which event was sent.
    """

    delivery_id: int
    endpoint: str
    started: datetime
    outcome: Outcome
    decision: Decision
    finished: datetime
    attempt: int
    event_id: str
    event_name: str
    sequence: int

    @property
    def health_error(self) -> str | None:
        """None for a success, else what the endpoint's health shows as its last error."""
        return None if self.decision.delivered else self.decision.error or "failed"

    @property
    def failed_for_good(self) -> bool:
        """Whether the delivery failed and no attempt follows."""
        return not self.decision.delivered and self.decision.next_attempt_at is None


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


def _add_state_row(store: Session, name: str) -> None:
    """Make sure the endpoint has a state row, whoever else adds it at the same moment.

    Two runners that see an endpoint fail at once both find no row; a plain INSERT
    would fail the second one's whole transaction on the primary key. An INSERT that
    does nothing on conflict (SQLite and PostgreSQL, the databases this plugin runs
    on) leaves the row the first one made, which both then update.
    """
    insert_into: Any = postgresql.insert if _dialect(store) == "postgresql" else sqlite.insert
    statement: Insert = (
        insert_into(_STATES)
        .values(name=name, disabled=False, failures=0, failed_attempts=0)
        .on_conflict_do_nothing(index_elements=[_STATES.c.name])
    )
    store.execute(statement)


def _dialect(store: Session) -> str:
    return store.get_bind().dialect.name


def _update_state(store: Session, name: str, **values: Any) -> None:
    statement = update(_STATES).where(_STATES.c.name == name).values(**values)
    if cast(CursorResult[Any], store.execute(statement)).rowcount == 0:
        # The endpoint's first failure, or its first attempt at all.
        _add_state_row(store, name)
        store.execute(statement)


@public
def disable_endpoint(store: Session, name: str, reason: str, now: datetime) -> None:
    """Stop sending to an endpoint until `mailman_webhooks.admin.resume_endpoint`; its
    deliveries wait."""
    _update_state(store, name, disabled=True, disabled_reason=reason, disabled_at=now)
    # Mailman's session may hold the row already; show it what the statement wrote.
    state = store.get(WebhookEndpointState, name)
    if state is not None:
        store.refresh(state)


@public
def pause_endpoint(store: Session, name: str, failures: int, until: datetime) -> None:
    """Claim nothing of the endpoint before ``until``, after ``failures`` in a row."""
    _update_state(store, name, failures=failures, retry_at=until)


@public
def end_pause(store: Session, name: str) -> None:
    """Forget the endpoint's consecutive endpoint-wide failures: it answered."""
    states = _STATES.c
    store.execute(
        update(_STATES)
        .where(states.name == name, or_(states.failures != 0, states.retry_at.is_not(None)))
        .values(failures=0, retry_at=None)
    )


@public
def claim_statement(
    name: str, token: str, now: datetime, settings: Settings, dialect: str
) -> Update:
    """The UPDATE of `claim` on ``dialect``, apart so that its SQL can be checked."""
    rows = _DELIVERIES.c
    free = or_(rows.claimed_until.is_(None), rows.claimed_until < now)
    pending = rows.status == DeliveryStatus.pending
    # (endpoint, status, next_attempt_at) is an index: only this endpoint's due rows
    # are read, however many other endpoints, removed ones included, have waiting.
    due = (
        select(rows.id)
        .where(rows.endpoint == name, pending, rows.next_attempt_at <= now)
        .where(free)
        .order_by(rows.next_attempt_at, rows.id)
        .limit(settings.delivery.batch_size)
        .with_for_update(skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    chosen = rows.id.in_(select(due.c.id))
    # PostgreSQL re-checks the conditions on each row it locks, and has to: another runner
    # may have claimed it since the CTE read it. On SQLite one statement is atomic, so the
    # check would be redundant, and worse: without statistics SQLite's planner reads it
    # through the (status, ...) index, scanning every pending row of every endpoint
    # (3.6 times as long as the claim itself with 100,000 pending rows of a removed
    # endpoint) instead of looking the chosen rows up by primary key.
    where = (chosen, pending, free) if dialect == "postgresql" else (chosen,)
    return (
        update(_DELIVERIES)
        .where(*where)
        .values(claimed_by=token, claimed_until=now + settings.delivery.lease)
    )


# What a runner reads of the deliveries it claimed, and of their events.
_CLAIMED = (
    select(
        _DELIVERIES.c.id, _DELIVERIES.c.endpoint, _DELIVERIES.c.claimed_by,
        _DELIVERIES.c.attempts, _DELIVERIES.c.retry_from, _EVENTS.c.sequence, _EVENTS.c.id,
        _EVENTS.c.name, _EVENTS.c.created,
        # The JSON as text: on PostgreSQL a json value is text as it was written.
        sql_cast(_EVENTS.c.payload, Text), sql_cast(_EVENTS.c.secret_payload, Text),
    )
    .join_from(_DELIVERIES, _EVENTS, _DELIVERIES.c.event_sequence == _EVENTS.c.sequence)
    .where(_DELIVERIES.c.claimed_by == bindparam("token"))
    .order_by(_DELIVERIES.c.event_sequence)
)


@public
def claim(store: Session, name: str, settings: Settings, now: datetime) -> list[Claimed]:
    """Claim up to ``batch_size`` due deliveries of endpoint ``name``, and commit.

    Claims are per endpoint, so that one endpoint's backlog never stands before
    another's new events. One UPDATE writes this call's token and lease into rows
    chosen by a CTE; on PostgreSQL it is a MATERIALIZED ``SELECT ... FOR UPDATE SKIP
    LOCKED``, so concurrent runners take disjoint rows without waiting, and the outer
    WHERE, re-checked on the locked row, refuses rows another runner claimed meanwhile.
    (As a plain ``IN (subquery)`` PostgreSQL may rescan the subquery per row and skip
    the rows this very UPDATE already locked, claiming past the LIMIT.) SQLite has a
    single writer, so the one statement is atomic there. The rows come back with what
    sending needs of their events, in the order of the events' sequence.
    """
    token = uuid.uuid4().hex
    store.execute(claim_statement(name, token, now, settings, _dialect(store)))
    store.commit()
    return [
        Claimed(delivery_id, endpoint, claimed_by, attempts, retry_from, sequence,
                str(event_id), event_name, created, payload, secret_payload)
        for (delivery_id, endpoint, claimed_by, attempts, retry_from, sequence, event_id,
             event_name, created, payload, secret_payload)
        in store.execute(_CLAIMED, {"token": token})
    ]


@public
def release_token(store: Session, token: str, keep: Iterable[int] = ()) -> None:
    """Give back every pending delivery still claimed under ``token``, but ``keep``."""
    rows = _DELIVERIES.c
    store.execute(
        update(_DELIVERIES)
        .where(
            rows.claimed_by == token,
            rows.status == DeliveryStatus.pending,
            rows.id.not_in(sorted(keep)),
        )
        .values(claimed_by=None, claimed_until=None)
    )


_RECORD_DELIVERY = (
    update(_DELIVERIES)
    .where(
        _DELIVERIES.c.id == bindparam("b_id"),
        _DELIVERIES.c.claimed_by == bindparam("b_token"),
    )
    .values(
        attempts=_DELIVERIES.c.attempts + 1,
        last_attempt_at=bindparam("b_started"),
        last_status_code=bindparam("b_status_code"),
        last_error=bindparam("b_error"),
        status=bindparam("b_status"),
        next_attempt_at=bindparam("b_next"),
        finished_at=bindparam("b_finished"),
        claimed_by=None,
        claimed_until=None,
    )
)


@public
def record(
    store: Session, token: str, attempts: Sequence[Attempted], settings: Settings
) -> None:
    """Write attempts of deliveries claimed under ``token``, and what each one means.

    Each delivery is delivered, failed or due again, and the endpoint's health counters
    (`WebhookEndpointState.note_attempt`) take the attempts in. A delivery that failed
    for good is logged at warning level and announced to the other endpoints
    (`WebhookDeliveryFailedEvent`), in the same transaction. A delivery no longer
    claimed under ``token`` (its lease ran out and another runner has it) keeps the
    other runner's record, and is announced by it; its attempt is still logged. The
    endpoint's pause or disable is written by `pause_endpoint`, `end_pause` and
    `disable_endpoint`.
    """
    if not attempts:
        return
    store.execute(
        insert(_ATTEMPTS),
        [
            dict(
                delivery_id=one.delivery_id,
                at=one.started,
                status_code=one.outcome.status_code,
                duration=one.outcome.duration,
                error=one.outcome.error,
            )
            for one in attempts
        ],
    )
    going_on = [one for one in attempts if not one.failed_for_good]
    if going_on:
        store.execute(_RECORD_DELIVERY, [_delivery_values(token, one) for one in going_on])
    for one in attempts:
        if one.failed_for_good:
            # One by one (they are few), to know whether this runner's record took.
            result = cast(CursorResult[Any], store.execute(
                _RECORD_DELIVERY, _delivery_values(token, one)))
            if result.rowcount:
                _announce_failure(store, settings, one)
    for name in sorted({one.endpoint for one in attempts}):
        _note_health(store, name, [one for one in attempts if one.endpoint == name])


def _delivery_values(token: str, one: Attempted) -> dict[str, Any]:
    decision = one.decision
    if decision.next_attempt_at is not None:
        status, finished = DeliveryStatus.pending, None
    elif decision.delivered:
        status, finished = DeliveryStatus.delivered, one.finished
    else:
        status, finished = DeliveryStatus.failed, one.finished
    return dict(
        b_id=one.delivery_id,
        b_token=token,
        b_started=one.started,
        b_status_code=one.outcome.status_code,
        b_error=decision.error,
        b_status=status,
        b_next=decision.next_attempt_at,
        b_finished=finished,
    )


def _announce_failure(store: Session, settings: Settings, one: Attempted) -> None:
    error = one.decision.error or one.outcome.error
    log.warning(
        "webhooks: delivery %d (%s %s) to %s failed for good after %d attempts: %s",
        one.delivery_id, one.event_name, one.event_id, one.endpoint, one.attempt, error,
    )
    if one.event_name in delivery_events.NAMES:
        return
    notice = WebhookDeliveryFailedEvent(
        endpoint=one.endpoint,
        delivery=one.delivery_id,
        event_id=one.event_id,
        event_name=one.event_name,
        sequence=one.sequence,
        attempts=one.attempt,
        status_code=one.outcome.status_code,
        error=error,
    )
    delivery_events.announce(store, settings, notice, about=one.endpoint)


def _note_health(store: Session, name: str, attempts: Sequence[Attempted]) -> None:
    """`WebhookEndpointState.note_attempt` for each attempt, in one UPDATE."""
    successes = [index for index, one in enumerate(attempts) if one.decision.delivered]
    since = successes[-1] + 1 if successes else 0
    failed = [one for one in attempts[since:] if not one.decision.delivered]
    failures = [one for one in attempts if not one.decision.delivered]
    values: dict[str, Any] = {}
    if successes:
        values["last_success_at"] = attempts[successes[-1]].started
        values["failed_attempts"] = len(failed)
    else:
        values["failed_attempts"] = _STATES.c.failed_attempts + len(failed)
    if failures:
        values["last_failure_at"] = failures[-1].started
        values["last_error"] = failures[-1].health_error
    _update_state(store, name, **values)
