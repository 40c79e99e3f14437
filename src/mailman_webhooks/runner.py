"""The delivery runner, ``[runner.webhooks]``: sends what the outbox holds.

Mailman's master starts and supervises it like a built-in runner (the plugin
pushes its section in pre_hook). It has no queue directory. On each turn it first
fans out the events capture recorded: one delivery per endpoint that wants the event
(`mailman_webhooks.fanout`; every instance does, for every endpoint). Each configured
endpoint gets a lane: a task on a bounded pool of threads that claims batches of that
endpoint's due deliveries, POSTs them one after the other in the order of their
events, and records every attempt. Lanes of different endpoints run at the same time
(the HTTP work releases the GIL), so neither a slow receiver nor an endpoint's backlog
delays another endpoint's events. Several instances (``instances:``) split the
endpoints between them (`mailman_webhooks.sharding`): one endpoint is sent by one process
only, in its order; runners of several hosts sharing PostgreSQL never hold the same
delivery at the same time. Between its turns the first instance keeps the outbox bounded
(`mailman_webhooks.retention`), a short batch at a time.
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from mailman.config import config
from mailman.core.runner import Runner
from mailman.interfaces.runner import RunnerInterrupt
from public import public
from sqlalchemy.orm import Session

from mailman_webhooks import delivery_events, fanout, outbox
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.delivery_events import WebhookEndpointDisabledEvent
from mailman_webhooks.outbox import Attempted, Claimed
from mailman_webhooks.retention import Sweep
from mailman_webhooks.retry import decide
from mailman_webhooks.sender import Sender
from mailman_webhooks.settings import Endpoint, Settings
from mailman_webhooks.sharding import Shard

log = logging.getLogger("mailman.plugins")

COMMIT_INTERVAL = 0.2  # seconds
LANE_TURN = 1.0  # seconds
FANOUT_TURN = 0.5
"""Seconds one turn of the runner fans out at most (a batch at least) before it claims."""


@public
class WebhooksRunner(Runner):  # type: ignore[misc]  # Mailman's Runner has no type information.
    """Deliver the webhook outbox; see the module docstring."""

    is_queue_runner = False

    def __init__(self, name: str, slice: int | None = None) -> None:
        super().__init__(name, slice)
        # Mailman's own Runner reads the slice count from the section, as here.
        self.shard = Shard.of(slice, int(getattr(config, f"runner.{name}").instances))
        if self.shard.count > 1:
            mine = sorted(filter(self.shard.owns, webhooks_settings().endpoints))
            log.info("webhooks runner %d of %d sends to: %s", self.shard.number + 1,
                     self.shard.count, ", ".join(mine) or "none")
        threads = webhooks_settings().delivery.concurrency
        self.sender = Sender()
        self.rng = random.Random()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="webhooks")
        # The running lane of each endpoint, and when an endpoint that had nothing
        # due is looked at again.
        self._lanes: dict[str, Future[int]] = {}
        self._idle_until: dict[str, float] = {}
        self.sweep = Sweep()

    def _one_iteration(self) -> int:
        """See `IRunner`: start lanes instead of one pass over a queue directory."""
        try:
            return self.process_batch(wait=False)
        except RunnerInterrupt:
            raise
        except Exception as error:
            # A database hiccup must not kill the runner; the claims expire.
            log.error("webhooks: delivery turn failed (%s)", type(error).__name__)
            return 0

    def _snooze(self, filecnt: int) -> None:
        """See `IRunner`: wait for a lane to end, ``sleep_time`` at most."""
        if filecnt:
            return
        running = list(self._lanes.values())
        if running:
            wait(running, timeout=self.sleep_float, return_when=FIRST_COMPLETED)
        elif self.sleep_float > 0:
            time.sleep(self.sleep_float)

    def process_batch(self, wait: bool = True) -> int:
        """Start a lane for each claimable endpoint without one; return how many
        deliveries the lanes that ended since the last call had claimed.

        With ``wait`` (tests, benchmarks), wait for every lane to end first, and look
        at endpoints that just had nothing due too. Stopped while waiting, the lanes
        finish the request they are making, record it and give the rest back.
        """
        settings = webhooks_settings()
        self._housekeeping(settings)
        self._fan_out(settings, None if wait else FANOUT_TURN)
        claimed = self._reap()
        now = time.monotonic()
        waiting = {
            name for name in settings.endpoints
            if self.shard.owns(name) and name not in self._lanes
            and (wait or self._idle_until.get(name, 0.0) <= now)
        }
        # With every endpoint of this runner being sent to, or having just had nothing
        # due, their states need not be read.
        if waiting:
            with Session(bind=config.db.engine) as store:
                states = outbox.endpoint_states(store)
            claimable = outbox.claimable_endpoints(states, settings, utcnow())
            for name in sorted(waiting & claimable):
                state = states.get(name)
                failures = 0 if state is None else state.failures
                endpoint = settings.endpoints[name]
                self._lanes[name] = self._pool.submit(self._lane, endpoint, settings, failures)
        if wait:
            try:
                _wait_all(list(self._lanes.values()))
            except BaseException:
                self._stop_lanes()
                raise
            claimed += self._reap()
        return claimed

    def _reap(self) -> int:
        """Forget the lanes that ended; return how many deliveries they had claimed."""
        claimed = 0
        for name, lane in list(self._lanes.items()):
            if not lane.done():
                continue
            del self._lanes[name]
            try:
                count = lane.result()
            except Exception as error:
                log.error("webhooks: delivery to %s failed (%s)", name, type(error).__name__)
                count = 0
            if not count:
                self._idle_until[name] = time.monotonic() + self.sleep_float
            claimed += count
        return claimed

    def _fan_out(self, settings: Settings, seconds: float | None) -> None:
        """Make the deliveries of new events; an endpoint given some is looked at at once.

        A failure is logged and waits for the next turn; the events stay to fan out.
        """
        try:
            made = fanout.fan_out(config.db.engine, settings, seconds)
        except RunnerInterrupt:
            raise
        except Exception as error:
            log.error("webhooks: fan-out failed (%s)", type(error).__name__)
            return
        for name in made.deliveries:
            self._idle_until.pop(name, None)

    def _housekeeping(self, settings: Settings) -> None:
        """A batch of the retention sweep, when one is due; a failure waits for the next."""
        if not self.shard.keeps_house:
            return
        try:
            self.sweep.step(config.db.engine, settings)
        except RunnerInterrupt:
            # A signal to stop (Mailman's handlers raise it): not a failure to log.
            raise
        except Exception as error:
            log.error("webhooks: outbox housekeeping failed (%s)", type(error).__name__)

    def _lane(self, endpoint: Endpoint, settings: Settings, failures: int) -> int:
        """Claim, send and record batches of one endpoint; return how many it claimed.

        Runs in a thread of the pool, with one database connection for all its batches:
        the engine's pool is Mailman's NullPool, so a session on the engine would open a
        connection (and SQLite read the schema again) for each transaction. A lane goes
        on to the endpoint's next batch while the last one was full, for LANE_TURN
        seconds at most; then the runner's loop looks at the endpoint's state again (an
        administrator may have disabled it) and other endpoints get the thread.
        """
        claimed = 0
        ends = time.monotonic() + LANE_TURN
        with (
            config.db.engine.connect() as connection,
            Session(bind=connection, expire_on_commit=False) as store,
        ):
            while not self._stop:
                batch = outbox.claim(store, endpoint.name, settings, utcnow())
                claimed += len(batch)
                if not batch:
                    break
                failures, finished = self._send_batch(store, endpoint, settings, batch,
                                                      failures)
                full = len(batch) >= settings.delivery.batch_size
                if not finished or not full or time.monotonic() >= ends:
                    break
        return claimed

    def _send_batch(
        self,
        store: Session,
        endpoint: Endpoint,
        settings: Settings,
        batch: list[Claimed],
        failures: int,
    ) -> tuple[int, bool]:
        """Send and record one claimed batch, in order; return the endpoint's consecutive
        failures after it, and whether the whole batch was tried (the runner was not
        stopped, and the endpoint is neither disabled nor pausing).

        Results are committed at most COMMIT_INTERVAL apart (one commit per request would
        cost more than the request on SQLite), so a crash loses at most that much of the
        record, and those events are sent again. Nothing is written during a request, so
        no lock is held while waiting for one.
        """
        # Every delivery of the batch holds the token of the claim that returned it.
        token = batch[0].claimed_by
        done: list[Attempted] = []
        unrecorded: set[int] = set()
        last: Attempted | None = None
        tried = 0
        committed = time.monotonic()
        try:
            for delivery in batch:
                if self._stop:
                    break
                last = self._attempt(endpoint, settings, delivery, failures)
                tried += 1
                done.append(last)
                failures = last.decision.endpoint_failures
                # Disabled (410 Gone) or paused: the rest of the batch goes back.
                if last.decision.holds_endpoint:
                    break
                if time.monotonic() - committed >= COMMIT_INTERVAL:
                    unrecorded |= self._record(store, settings, endpoint.name, token, done)
                    done = []
                    committed = time.monotonic()
        finally:
            # Stopped or broken mid-batch too: what was tried is recorded, and what
            # was not is given back at once rather than when the lease expires.
            unrecorded |= self._record(store, settings, endpoint.name, token, done)
            self._close_batch(store, settings, endpoint.name, token, last, unrecorded)
        finished = tried == len(batch) and not (last is not None and last.decision.holds_endpoint)
        return failures, finished

    def _attempt(
        self, endpoint: Endpoint, settings: Settings, delivery: Claimed, failures: int
    ) -> Attempted:
        body = delivery.body(include_secrets=endpoint.include_secrets)
        started = utcnow()
        outcome = self.sender.send(endpoint, delivery.event_id, body)
        now = utcnow()
        decision = decide(
            outcome, delivery.attempts + 1, delivery.retry_from, failures, settings.delivery,
            now, self.rng,
        )
        return Attempted(
            delivery_id=delivery.id,
            endpoint=endpoint.name,
            started=started,
            outcome=outcome,
            decision=decision,
            finished=now,
            attempt=delivery.attempts + 1,
            event_id=delivery.event_id,
            event_name=delivery.event_name,
            sequence=delivery.event_sequence,
        )

    @staticmethod
    def _record(
        store: Session, settings: Settings, name: str, token: str, done: list[Attempted]
    ) -> set[int]:
        """Commit ``done``; a failure to record one attempt affects that delivery only.

        Return the deliveries whose attempt could not be recorded: they stay claimed,
        and are sent again when their lease ends (not at once, over and over).
        """
        unrecorded: set[int] = set()
        if not done:
            return unrecorded
        try:
            outbox.record(store, token, done, settings)
            store.commit()
            return unrecorded
        except Exception:
            store.rollback()
        for one in done:
            try:
                outbox.record(store, token, [one], settings)
                store.commit()
            except Exception as error:
                store.rollback()
                unrecorded.add(one.delivery_id)
                log.error(
                    "webhooks: could not record the attempt of delivery %d to %s (%s); "
                    "it is sent again when its claim expires",
                    one.delivery_id, name, type(error).__name__,
                )
        return unrecorded

    @staticmethod
    def _close_batch(
        store: Session,
        settings: Settings,
        name: str,
        token: str,
        last: Attempted | None,
        unrecorded: set[int],
    ) -> None:
        """Write what the batch's last attempt means for the endpoint; give the rest back.

        A disable is logged at warning level and announced to the other endpoints
        (`WebhookEndpointDisabledEvent`) in the transaction that writes it.
        """
        try:
            decision = None if last is None else last.decision
            if decision is not None and last is not None:
                if decision.disable_reason is not None:
                    reason = decision.disable_reason
                    outbox.disable_endpoint(store, name, reason, last.finished)
                    log.warning("webhooks: endpoint %s disabled: %s", name, reason)
                    delivery_events.announce(
                        store, settings, WebhookEndpointDisabledEvent(name, reason), about=name
                    )
                elif decision.endpoint_retry_at is not None:
                    outbox.pause_endpoint(
                        store, name, decision.endpoint_failures, decision.endpoint_retry_at
                    )
                else:
                    outbox.end_pause(store, name)
            outbox.release_token(store, token, keep=unrecorded)
            store.commit()
        except Exception as error:
            store.rollback()
            log.error("webhooks: could not give back the batch of %s (%s); its claims expire",
                      name, type(error).__name__)

    def _stop_lanes(self) -> None:
        """Have every lane stop after its current request, and wait for them."""
        self._stop = True
        _wait_all(list(self._lanes.values()))
        self._reap()

    def _clean_up(self) -> None:
        """See `IRunner`."""
        self._stop_lanes()
        self._pool.shutdown(wait=True)
        self.sender.close()


def _wait_all(lanes: list[Future[int]]) -> None:
    # A signal handler raising RunnerInterrupt can interrupt this wait.
    wait(lanes)
