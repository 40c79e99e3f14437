"""Webhooks: delivery throughput of the real runner, the outbox at scale, and what capturing
costs Mailman.

Delivery: 10,000 captured events, each due to 3 endpoints (30,000 deliveries), are sent by
the plugin's own `WebhooksRunner`, made as Mailman's master makes it (``webhooks:slice:count``)
and run by Mailman's own `Runner.run` loop in 1, then 2 processes (``[runner.webhooks]
instances``; each sends to its share of the endpoints), to 3 HTTP receivers on 127.0.0.1 in
another process, on a fresh SQLite Mailman each time. Printed: deliveries per second (target:
at least 2,000), the CPU time the runner processes used per delivery (all their threads,
``time.process_time``; far less moved by other work on a shared machine than the rate), and
plain ``requests`` and ``urllib3`` POSTs to the same receivers, a thread per receiver and no
database, as the reference measured in the same run. Then one runner process with one of
the 3 receivers answering after 2 s: the deliveries per second of the two others, per
endpoint, against the first run (target: at least 0.8).

Sender: the CPU one POST costs this process, on a kept connection to a receiver in another
process, through the plugin's `Sender`, through urllib3 (which it uses) alone, and through
the standard library's http.client alone: the HTTP part of a delivery's CPU.

Outbox: 1,000,000 pending deliveries of an endpoint no longer configured, and as many
delivered long ago with an attempt each. Printed: a claim of a configured endpoint, against
the same claim in an empty outbox (target: under 10 ms); expiry as one UPDATE over the
million (as it was before) against the batched sweep (expiry, then retention) the runner
does, its longest transaction (target: under 1 s; SQLite's busy timeout is 5 s), and the
longest wait of a writer committing every 20 ms meanwhile.

Capture: Mailman REST servers (Mailman's own ``runner -r rest`` processes, gunicorn), each
on its own temporary var dir and SQLite database: one with ``[plugin.webhooks]`` and 3
endpoints matching every event, one without the plugin, and one with the plugin whose
endpoints match nothing (its fixed cost). 1,000 members are subscribed through REST on
each, in chunks taken in turn by the servers so that all see the same machine. Printed,
per subscription: the CPU time of the server's processes (read from /proc: what the
server works for a request, which a client waits for on a machine with a core to spare)
and the wall time the client waited; the ratio with/without of each, and the median over
the rounds of the CPU ratio with/without measured in the same round (the target: at most
1.05, i.e. 5% overhead).

Only loopback traffic; every wait is bounded, and the run stops by itself.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REST_USER = "restadmin"
REST_PASS = "restpass"
ENDPOINTS = 3
DELIVERIES_PER_SECOND_TARGET = 2000.0
SLOW = 2.0  # seconds the slow receiver takes to answer
SLOW_RATIO_TARGET = 0.8
OVERHEAD_TARGET = 1.05
CLAIM_MS_TARGET = 10.0
SWEEP_TRANSACTION_TARGET = 1.0  # seconds; SQLite's busy timeout is 5 s
CHILD_TIMEOUT = 600
SERVER_START_TIMEOUT = 60

SECRET = "whsec_YmVuY2htYXJrLXNpZ25pbmctc2VjcmV0LTMyYnl0ZXM="


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _mailman_cfg(var_dir: Path, port: int, webhooks_cfg: Path | None) -> str:
    text = f"""\
[mailman]
layout: here
site_owner: admin@example.com
[paths.here]
var_dir: {var_dir}
[mta]
incoming: mailman.mta.null.NullMTA
smtp_host: {HOST}
smtp_port: {_free_port()}
lmtp_host: {HOST}
lmtp_port: {_free_port()}
[webservice]
hostname: {HOST}
port: {port}
admin_user: {REST_USER}
admin_pass: {REST_PASS}
"""
    if webhooks_cfg is not None:
        text += f"""
[plugin.webhooks]
class: mailman_webhooks.plugin.WebhooksPlugin
enabled: yes
component_package: mailman_webhooks
configuration: {webhooks_cfg}
"""
    return text


def _webhooks_cfg(urls: list[str], events: str = ".*") -> str:
    text = "[delivery]\nbatch_size: 100\nlease: 10m\n"
    for number, url in enumerate(urls):
        text += (
            f"\n[endpoint.bench{number}]\nurl: {url}\napi_key: bench-key\n"
            f"secret: {SECRET}\nevents: {events}\ntimeout: 5s\n"
        )
    return text


def _clean_env(plugin_src: Path | None = None) -> dict[str, str]:
    """This environment without Mailman's variables; with ``plugin_src`` (the ``src``
    directory of another checkout) first on the path, so that Mailman loads that
    checkout's plugins: the code before a change, measured in the same run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILMAN_")}
    if plugin_src is not None:
        env["PYTHONPATH"] = str(plugin_src)
    return env


# -- receivers (a child process) ------------------------------------------------------


def _serve_receivers(delays: list[float]) -> int:
    """Run an HTTP receiver per delay, each answering after its delay in seconds; print
    their ports; on stdin EOF print their tallies.

    A minimal HTTP/1.1 server on asyncio (keep-alive, Content-Length bodies, one answer
    per request), so that the receivers cost little of the machine the runner shares
    with them: behind Python's http.server, plain ``requests`` reached 1,360 requests/s
    on the project's machine, behind this one 1,860.
    """
    import asyncio

    tallies = [0] * len(delays)
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    async def serve(index: int, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                if delays[index]:
                    await asyncio.sleep(delays[index])
                tallies[index] += 1
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # The client went away, or the receivers are stopping.
        finally:
            writer.close()

    async def main() -> None:
        servers = [
            await asyncio.start_server(
                functools.partial(serve, index), HOST, 0)
            for index in range(len(delays))
        ]
        print(json.dumps([server.sockets[0].getsockname()[1] for server in servers]),
              flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for server in servers:
            server.close()
        print(json.dumps(tallies), flush=True)

    asyncio.run(main())
    return 0


class Receivers:
    """The receivers' child process."""

    def __init__(self, delays: list[float]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.webhooks", "--receivers",
             ",".join(str(delay) for delay in delays)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        self.ports = json.loads(self.process.stdout.readline())

    @property
    def urls(self) -> list[str]:
        return [f"http://{HOST}:{port}/hooks" for port in self.ports]

    def stop(self) -> list[int]:
        """Stop them; return how many requests each received."""
        try:
            out, _ = self.process.communicate("", timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            return []
        return json.loads(out.strip().splitlines()[-1])


# -- delivery throughput (Mailman processes: one fills the outbox, N run the runner) -----


def _fill_child(cfg: str, events: int) -> int:
    """Fill the outbox with ``events`` events through `record_event`; print the figures."""
    from mailman.core.initialize import initialize

    initialize(cfg)

    from mailman.config import config
    from mailman.database.transaction import transaction
    from mailman.interfaces.domain import DomainCreatedEvent, IDomainManager
    from sqlalchemy import func, select
    from zope.component import getUtility

    from mailman_webhooks.capture import record_event
    from mailman_webhooks.configuration import webhooks_settings
    from mailman_webhooks.model import WebhookEvent

    with transaction():
        domain = getUtility(IDomainManager).add("bench.example.org")
    settings = webhooks_settings()
    store = config.db.store
    started = time.perf_counter()
    for number in range(events):
        record_event(DomainCreatedEvent(domain), settings, store)
        if number % 500 == 499:
            store.commit()
    store.commit()
    fill_seconds = time.perf_counter() - started
    total = store.execute(select(func.count()).select_from(WebhookEvent)).scalar_one()
    store.commit()
    print(json.dumps({"events": total, "fill_seconds": fill_seconds}), flush=True)
    return 0


def _runner_child(cfg: str, slice_number: int, count: int, profile: bool) -> int:
    """One delivery runner, made by Mailman's own ``runner`` factory as its master makes it
    (``webhooks:slice:count``), run by `Runner.run` from a line ``go`` on stdin until
    stdin ends; print the CPU seconds (all its threads) it used meanwhile."""
    from mailman.bin.runner import make_runner
    from mailman.core.initialize import initialize

    initialize(cfg)
    runner = make_runner("webhooks", slice_number, count)
    profiles: list = []
    if profile:
        import cProfile

        # Lanes run on the pool's threads: a profiler per lane, added up at the end.
        lane = runner._lane

        def profiled_lane(*args):
            profiler = cProfile.Profile()
            try:
                return profiler.runcall(lane, *args)
            finally:
                profiles.append(profiler)

        runner._lane = profiled_lane
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1

    def stop_at_eof() -> None:
        sys.stdin.read()
        runner.stop()

    threading.Thread(target=stop_at_eof, daemon=True).start()
    cpu = time.process_time()
    runner.run()
    cpu = time.process_time() - cpu
    if profiles:
        import pstats

        stats = pstats.Stats(*profiles, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
    print(json.dumps({"cpu": cpu}), flush=True)
    return 0


def _pending(database: Path, endpoints: list[str]) -> int:
    """Pending deliveries of ``endpoints``, read through the claim's (endpoint, status, ...)
    index on a connection of this process, and events the runner has yet to fan out (read
    through the index of those; an outbox of the code before fan-out has none)."""
    connection = sqlite3.connect(database, timeout=30)
    try:
        marks = ",".join("?" * len(endpoints))
        (number,) = connection.execute(
            f"SELECT count(*) FROM webhook_delivery WHERE endpoint IN ({marks})"
            " AND status = 'pending'", endpoints).fetchone()
        columns = {row[1] for row in connection.execute("PRAGMA table_info(webhook_event)")}
        if "fanned_out" in columns:
            (waiting,) = connection.execute(
                "SELECT count(*) FROM webhook_event WHERE NOT fanned_out").fetchone()
            number += waiting
        return number
    finally:
        connection.close()


def _status_counts(database: Path, endpoints: list[str]) -> dict[str, int]:
    connection = sqlite3.connect(database, timeout=30)
    try:
        marks = ",".join("?" * len(endpoints))
        rows = connection.execute(
            f"SELECT status, count(*) FROM webhook_delivery WHERE endpoint IN ({marks})"
            " GROUP BY status", endpoints).fetchall()
    finally:
        connection.close()
    counts = {"pending": 0, "delivered": 0, "failed": 0}
    counts.update(dict(rows))
    return counts


def _run_runners(cfg: Path, database: Path, instances: int, watched: list[str],
                 seconds: float, profile: bool, env: dict[str, str]) -> dict:
    """Start ``instances`` runner processes, let them go at once, and time them until the
    ``watched`` endpoints have nothing pending (checked 20 times a second)."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.webhooks", "--runner-child", str(cfg),
             "--slice", f"{number}:{instances}"] + (["--profile"] if profile else []),
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )
        for number in range(instances)
    ]
    try:
        for child in children:
            assert child.stdin is not None and child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError("a runner process did not start")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline and _pending(database, watched):
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu = []
        for child in children:
            out, _ = child.communicate("", timeout=CHILD_TIMEOUT)
            cpu.append(json.loads(out.strip().splitlines()[-1])["cpu"])
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    counts = _status_counts(database, watched)
    return {"elapsed": elapsed, "cpu": cpu, "counts": counts,
            "timed_out": counts["pending"] > 0}


def _raw_rate(urls: list[str], per_url: int, client: str) -> float:
    """Requests per second of plain POSTs with ``client`` (``requests``, or ``urllib3``
    under it), a thread per URL on keep-alive connections: what the HTTP part alone
    can do on this machine."""
    import urllib3

    body = json.dumps({"id": "0" * 36, "name": "DomainCreatedEvent", "timestamp": "x",
                       "sequence": 1, "event": {"domain": "bench.example.org"}}).encode()
    headers = {"Content-Type": "application/json"}
    pool = urllib3.PoolManager(maxsize=len(urls))

    def post_all(url: str) -> None:
        if client == "urllib3":
            for _ in range(per_url):
                answer = pool.request("POST", f"{url}?key=bench-key", body=body,
                                      headers=headers, timeout=5)
                assert answer.status == 200
            return
        with requests.Session() as session:
            for _ in range(per_url):
                session.post(url, params={"key": "bench-key"}, data=body, timeout=5,
                             headers=headers).raise_for_status()

    threads = [threading.Thread(target=post_all, args=(url,)) for url in urls]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = len(urls) * per_url / (time.perf_counter() - started)
    pool.clear()
    return rate


def bench_delivery(work: Path, events: int, seconds: float, profile: bool,
                   delays: list[float], instances: list[int],
                   before: Path | None = None) -> dict:
    """The runner's delivery rate to receivers answering after ``delays`` seconds, counted
    over the endpoints answering at once, with each number of runner ``instances`` (on a
    fresh outbox each), and with one process of the plugin in ``before`` (another
    checkout's ``src``) if given; and plain HTTP clients to those receivers, for reference."""
    receivers = Receivers(delays)
    name = "slow" if any(delays) else "healthy"
    fast = [url for url, delay in zip(receivers.urls, delays, strict=True) if not delay]
    watched = [f"bench{number}" for number, delay in enumerate(delays) if not delay]
    result: dict = {"endpoints": len(watched), "runs": {}}
    try:
        result["raw_rate"] = _raw_rate(fast, max(events // 10, 10), "requests")
        result["raw_urllib3_rate"] = _raw_rate(fast, max(events // 10, 10), "urllib3")
        hooks = work / f"{name}-webhooks.cfg"
        hooks.write_text(_webhooks_cfg(receivers.urls))
        runs: list[tuple[str, int, Path | None]] = [
            (str(count), count, None) for count in instances]
        if before is not None:
            runs.append(("1, before", 1, before))
        for number, (label, count, src) in enumerate(runs):
            env = _clean_env(src)
            var = work / f"{name}-{number}-var"
            cfg = work / f"{name}-{number}-mailman.cfg"
            cfg.write_text(_mailman_cfg(var, _free_port(), hooks)
                           + f"\n[runner.webhooks]\ninstances: {count}\n")
            fill = subprocess.run(
                [sys.executable, "-m", "benchmarks.webhooks", "--fill-child", str(cfg),
                 "--events", str(events)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
                timeout=CHILD_TIMEOUT, check=True,
            )
            run = json.loads(fill.stdout.strip().splitlines()[-1])
            run.update(_run_runners(cfg, var / "data" / "mailman.db", count, watched,
                                    seconds, profile, env))
            run["count"] = count
            run["deliveries"] = sum(run["counts"].values())
            delivered = run["counts"]["delivered"]
            run["rate"] = delivered / run["elapsed"]
            run["cpu_us"] = 1e6 * sum(run["cpu"]) / max(delivered, 1)
            result["runs"][label] = run
    finally:
        result["received"] = receivers.stop()
    return result


# -- one request's CPU: the sender against the HTTP clients under it ---------------------


def bench_sender(requests_count: int) -> dict:
    """CPU microseconds per POST, one thread, one keep-alive connection to one receiver:
    the plugin's `Sender` (signing, the whole-request deadline, urllib3), urllib3's pool
    alone, and the standard library's http.client alone, in turns in the same run."""
    import http.client
    import re

    import urllib3

    from mailman_webhooks.sender import Sender
    from mailman_webhooks.settings import Endpoint

    receivers = Receivers([0.0])
    body = json.dumps({"id": "0" * 36, "name": "DomainCreatedEvent", "timestamp": "x",
                       "sequence": 1, "event": {"domain": "bench.example.org"}}).encode()
    headers = {"Content-Type": "application/json"}
    target = "/hooks?key=bench-key"
    endpoint = Endpoint(name="bench", url=receivers.urls[0], api_key="bench-key",
                        events=re.compile(".*"), secret=b"s" * 32, timeout=5.0,
                        include_secrets=False)
    sender = Sender()
    pool = urllib3.HTTPConnectionPool(HOST, receivers.ports[0], maxsize=1, retries=False)
    plain = http.client.HTTPConnection(HOST, receivers.ports[0], timeout=5)

    def with_sender() -> None:
        assert sender.send(endpoint, "msg_bench", body).status_code == 200

    def with_urllib3() -> None:
        assert pool.urlopen("POST", target, body=body, headers=headers,
                            redirect=False).status == 200

    def with_http_client() -> None:
        plain.request("POST", target, body=body, headers=headers)
        answer = plain.getresponse()
        answer.read()
        assert answer.status == 200

    clients = {"sender": with_sender, "urllib3": with_urllib3, "http.client": with_http_client}
    cpu = dict.fromkeys(clients, 0.0)
    try:
        for _ in range(3):
            for name, post in clients.items():
                started = time.process_time()
                for _ in range(requests_count):
                    post()
                cpu[name] += time.process_time() - started
    finally:
        sender.close()
        pool.close()
        plain.close()
        receivers.stop()
    return {name: 1e6 * seconds / (3 * requests_count) for name, seconds in cpu.items()}


def report_sender(result: dict) -> list[str]:
    print("one POST on a kept connection, one thread, CPU of this process (the receiver "
          "runs in another):")
    for name, label in (("sender", "the plugin's Sender (signing, deadline, urllib3)"),
                        ("urllib3", "urllib3's connection pool alone"),
                        ("http.client", "the standard library's http.client alone")):
        print(f"  {label}: {result[name]:.0f} us")
    return []


# -- the outbox at scale: claims, expiry and retention (a child process) ----------------


def _fill(connection, first: int, rows: int, endpoint: str, status: str, created: str,
          finished: str | None, with_attempts: bool) -> None:
    """``rows`` events from sequence ``first`` on, each with one delivery to ``endpoint``.

    SQLite's own loop (a recursive CTE) writes them: a million rows in seconds.
    """
    from sqlalchemy import text

    numbers = ("WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n "
               "WHERE i < :last) ")
    bounds = {"first": first, "last": first + rows - 1, "created": created,
              "finished": finished, "endpoint": endpoint, "status": status}
    connection.execute(text(
        numbers + "INSERT INTO webhook_event (sequence, id, name, created, payload, "
        "fanned_out) SELECT i, lower(hex(randomblob(16))), 'DomainCreatedEvent', :created, "
        "'{\"domain\": \"bench.example.org\"}', 1 FROM n"), bounds)
    connection.execute(text(
        numbers + "INSERT INTO webhook_delivery (id, event_sequence, endpoint, status, created,"
        " retry_from, attempts, next_attempt_at, finished_at) SELECT i, i, :endpoint, :status,"
        " :created, :created, 1, CASE WHEN :finished IS NULL THEN :created END, :finished"
        " FROM n"), bounds)
    if with_attempts:
        connection.execute(text(
            numbers + "INSERT INTO webhook_attempt (delivery_id, at, status_code, duration)"
            " SELECT i, :created, 200, 0.01 FROM n"), bounds)


class _Writer(threading.Thread):
    """What Mailman does meanwhile: a short write transaction every 20 ms, on a
    connection of its own (another process's, as far as SQLite's locks go); records the
    longest wait for one."""

    def __init__(self, engine) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.longest = 0.0
        self.failures = 0
        self.done = threading.Event()

    def run(self) -> None:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS bench_writes (at FLOAT)"))
            connection.commit()
            while not self.done.is_set():
                started = time.perf_counter()
                try:
                    connection.execute(text("INSERT INTO bench_writes VALUES (:at)"),
                                       {"at": started})
                    connection.commit()
                except Exception:
                    connection.rollback()
                    self.failures += 1
                self.longest = max(self.longest, time.perf_counter() - started)
                time.sleep(0.02)


def _sweep_all(engine, settings, writer_engine) -> dict:
    """Run one whole `Sweep` as the runner would (with its pauses): its longest batch."""
    from mailman_webhooks.retention import Sweep

    sweep = Sweep()
    writer = _Writer(writer_engine)
    writer.start()
    started = time.perf_counter()
    batches = 0
    # A sweep ends by scheduling the next one SWEEP_INTERVAL later.
    while not sweep.between_sweeps:
        if sweep.step(engine, settings):
            batches += 1
        else:
            time.sleep(0.005)
    elapsed = time.perf_counter() - started
    writer.done.set()
    writer.join()
    return {"longest": sweep.longest, "batches": batches, "seconds": elapsed,
            "writer_longest": writer.longest, "writer_failures": writer.failures}


def _outbox_child(cfg: str, rows: int) -> int:
    """Claims among ``rows`` deliveries of a removed endpoint; expiry and retention of
    ``rows`` deliveries, batched, against one UPDATE over all of them."""
    from mailman.core.initialize import initialize

    initialize(cfg)

    from mailman.config import config
    from sqlalchemy import create_engine, func, select, text, update
    from sqlalchemy.orm import Session

    from mailman_webhooks import outbox
    from mailman_webhooks.clock import utcnow
    from mailman_webhooks.configuration import webhooks_settings
    from mailman_webhooks.model import DeliveryStatus, WebhookDelivery

    engine = config.db.engine
    # Another connection pool: what another process would do, as SQLite's locks see it.
    writer_engine = create_engine(str(engine.url), connect_args={"timeout": 5})
    settings = webhooks_settings()
    live = sorted(settings.endpoints)[0]
    long_ago = "2000-01-01 00:00:00.000000"
    result: dict = {"rows": rows}

    def claim_ms(repeats: int = 21) -> tuple[float, float]:
        """Median milliseconds of a claim of the live endpoint (one due delivery): all of
        `outbox.claim` (its UPDATE, its commit, reading the rows), and its UPDATE alone."""
        whole, statement = [], []
        dialect = engine.dialect.name
        with Session(bind=engine) as store:
            for _ in range(repeats):
                # Python's sqlite3 opens no transaction before a statement starting with
                # WITH (the claim's CTE): it would commit at once. Opened here, the
                # UPDATE is timed alone, then undone.
                store.connection().exec_driver_sql("BEGIN")
                started = time.perf_counter()
                store.execute(outbox.claim_statement(live, "t", utcnow(), settings, dialect))
                statement.append(time.perf_counter() - started)
                store.rollback()
                started = time.perf_counter()
                claimed = outbox.claim(store, live, settings, utcnow())
                whole.append(time.perf_counter() - started)
                assert len(claimed) == 1, claimed
                store.execute(text(
                    "UPDATE webhook_delivery SET claimed_by = NULL, claimed_until = NULL "
                    "WHERE endpoint = :e"), {"e": live})
                store.commit()
        return (1000 * sorted(whole)[repeats // 2], 1000 * sorted(statement)[repeats // 2])

    # Claims: one due delivery of a live endpoint, first alone, then beside a million
    # pending deliveries of an endpoint no longer configured.
    with engine.begin() as connection:
        _fill(connection, 1, 1, live, "pending", long_ago, None, False)
    result["claim_alone_ms"], result["claim_update_alone_ms"] = claim_ms()
    with engine.begin() as connection:
        _fill(connection, 2, rows, "removed", "pending", long_ago, None, False)
    result["claim_ms"], result["claim_update_ms"] = claim_ms()
    # The same claim once more, to leave the live delivery claimed as a runner would.
    with Session(bind=engine) as store:
        outbox.claim(store, live, settings, utcnow())

    # Expiry: those deliveries are long past the retry period. Today's way (one UPDATE
    # over them all) in a rolled-back transaction, then the batched sweep.
    with Session(bind=engine) as store:
        started = time.perf_counter()
        store.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == DeliveryStatus.pending,
                   WebhookDelivery.retry_from < utcnow() - settings.delivery.retry_period)
            .values(status=DeliveryStatus.failed, finished_at=utcnow(),
                    next_attempt_at=None, last_error="retry period over")
            .execution_options(synchronize_session=False)
        )
        result["expiry_one_transaction"] = time.perf_counter() - started
        store.rollback()
    # Retention: a million more, finished long ago, with an attempt each.
    with engine.begin() as connection:
        _fill(connection, rows + 2, rows, live, "delivered", long_ago, long_ago, True)
    # The sweep: first it fails the removed endpoint's million (and the live one's due
    # delivery), then it removes everything finished before the retention period, which
    # the million it failed just now are not.
    result["sweep"] = _sweep_all(engine, settings, writer_engine)
    with Session(bind=engine) as store:
        counts = dict(store.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        ).tuples().all())
        events = store.execute(text("SELECT count(*) FROM webhook_event")).scalar()
        attempts = store.execute(text("SELECT count(*) FROM webhook_attempt")).scalar()
    result["left"] = {"pending": counts.get(DeliveryStatus.pending, 0),
                      "failed": counts.get(DeliveryStatus.failed, 0),
                      "delivered": counts.get(DeliveryStatus.delivered, 0),
                      "events": events, "attempts": attempts}
    print(json.dumps(result), flush=True)
    return 0


def bench_outbox(work: Path, rows: int) -> dict:
    hooks = work / "outbox-webhooks.cfg"
    hooks.write_text(_webhooks_cfg([f"http://{HOST}:9/hooks"]))
    cfg = work / "outbox-mailman.cfg"
    cfg.write_text(_mailman_cfg(work / "outbox-var", _free_port(), hooks))
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.webhooks", "--outbox-child", str(cfg),
         "--rows", str(rows)],
        cwd=ROOT, env=_clean_env(), stdout=subprocess.PIPE, text=True,
        timeout=CHILD_TIMEOUT * 2, check=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


# -- capture overhead (two REST servers) ----------------------------------------------


class RestServer:
    """Mailman's REST runner (``runner -r rest``) on its own var dir and port."""

    def __init__(self, work: Path, name: str, webhooks_cfg: Path | None,
                 plugin_src: Path | None = None) -> None:
        self.port = _free_port()
        self.var_dir = work / f"{name}-var"
        self.cfg = work / f"{name}-mailman.cfg"
        self.cfg.write_text(_mailman_cfg(self.var_dir, self.port, webhooks_cfg))
        self.log = open(work / f"{name}-rest.log", "w")  # noqa: SIM115
        runner = Path(sys.executable).parent / "runner"
        self.process = subprocess.Popen(
            [str(runner), "-C", str(self.cfg), "-r", "rest"],
            cwd=work, env=_clean_env(plugin_src), stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.session = requests.Session()
        self.session.auth = (REST_USER, REST_PASS)
        self._wait()

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}/3.1/{path}"

    def _wait(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"REST server exited; see {self.log.name}")
            try:
                self.session.get(self.url("system/versions"), timeout=2).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"REST server did not answer within {SERVER_START_TIMEOUT} s")

    def post(self, path: str, **data) -> None:
        response = self.session.post(self.url(path), json=data, timeout=30)
        if response.status_code // 100 != 2:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:200]}")

    def subscribe(self, first: int, count: int) -> tuple[float, float]:
        """Subscribe members ``first`` .. ``first + count - 1``; return the seconds taken,
        and the CPU seconds the server's processes spent meanwhile."""
        cpu = self.cpu()
        started = time.perf_counter()
        for number in range(first, first + count):
            self.post(
                "members", list_id="bench.example.com",
                subscriber=f"member{number}@example.com", display_name=f"Member {number}",
                pre_verified=True, pre_confirmed=True, pre_approved=True,
                send_welcome_message=False,
            )
        return time.perf_counter() - started, self.cpu() - cpu

    def cpu(self) -> float:
        """CPU seconds (user and system) of the server: the runner process and its
        gunicorn workers, read from /proc."""
        return _tree_cpu(self.process.pid)

    def stop(self) -> None:
        self.session.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def outbox_rows(self) -> tuple[int, int]:
        """(events, deliveries) in this server's database; (0, 0) without the tables."""
        database = sqlite3.connect(self.var_dir / "data" / "mailman.db")
        try:
            names = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
            if "webhook_event" not in names:
                return (0, 0)
            (events,) = database.execute("SELECT count(*) FROM webhook_event").fetchone()
            (deliveries,) = database.execute("SELECT count(*) FROM webhook_delivery").fetchone()
            return (events, deliveries)
        finally:
            database.close()


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user and system) that process ``pid`` and its living descendants used."""
    ticks = 0
    waiting = [pid]
    while waiting:
        proc = Path("/proc") / str(waiting.pop())
        try:
            # After the command's closing parenthesis: state is field 3, utime 14, stime 15.
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
            for task in (proc / "task").iterdir():
                waiting += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # It ended meanwhile.
    return ticks / os.sysconf("SC_CLK_TCK")


def bench_capture(work: Path, members: int, chunk: int, before: Path | None = None) -> dict:
    # Nothing listens on port 9 and no webhooks runner runs: this measures capture only.
    # "idle" has the plugin with endpoints that match no event: its fixed cost alone.
    urls = [f"http://{HOST}:9/hooks{n}" for n in range(ENDPOINTS)]
    hooks = work / "capture-webhooks.cfg"
    hooks.write_text(_webhooks_cfg(urls))
    idle_hooks = work / "idle-webhooks.cfg"
    idle_hooks.write_text(_webhooks_cfg(urls, events="(?!)"))
    servers = {}
    try:
        servers["with"] = RestServer(work, "with", hooks)
        servers["without"] = RestServer(work, "without", None)
        servers["idle"] = RestServer(work, "idle", idle_hooks)
        if before is not None:
            servers["before"] = RestServer(work, "before", hooks, before)
        for server in servers.values():
            server.post("domains", mail_host="example.com")
            server.post("lists", fqdn_listname="bench@example.com")
            server.subscribe(10_000_000, 20)  # warm-up, not counted
        seconds = dict.fromkeys(servers, 0.0)
        cpu = dict.fromkeys(servers, 0.0)
        rounds: list[dict[str, float]] = []
        order = list(servers)
        for first in range(0, members, chunk):
            count = min(chunk, members - first)
            this_round = {}
            for name in order:
                took, used = servers[name].subscribe(first, count)
                seconds[name] += took
                cpu[name] += used
                this_round[name] = used
            rounds.append(this_round)
            # Each server goes first, second and last equally often.
            order = order[1:] + order[:1]
        rows = {name: server.outbox_rows() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    return {"seconds": seconds, "cpu": cpu, "rounds": rounds, "rows": rows,
            "members": members}


def _median_ratio(rounds: list[dict[str, float]], name: str) -> float:
    """The median over the rounds of server ``name``'s CPU against the plain Mailman's in
    the same round: a round in which other work took the machine counts once, not by
    how much it added."""
    ratios = sorted(each[name] / each["without"] for each in rounds if each["without"] > 0)
    middle = len(ratios) // 2
    if len(ratios) % 2:
        return ratios[middle]
    return (ratios[middle - 1] + ratios[middle]) / 2


# -- report ---------------------------------------------------------------------------


def report_healthy(result: dict, events: int) -> list[str]:
    """Print the figures of the delivery to healthy receivers; return the targets missed."""
    missed = []
    raw, raw_urllib3 = result["raw_rate"], result["raw_urllib3_rate"]
    for label, run in result["runs"].items():
        rate, count = run["rate"], run["count"]
        which = " of the code before (--before)" if "before" in label else ""
        print(f"delivery: {events} events x {ENDPOINTS} endpoints = {run['deliveries']} "
              f"deliveries, SQLite, {count} runner process{'es' if count > 1 else ''}"
              f"{which} (Mailman's Runner.run loop), loopback receivers")
        print(f"  outbox filled in {run['fill_seconds']:.1f} s "
              f"({events / run['fill_seconds']:.0f} events/s through record_event)")
        print(f"  delivered {run['counts']['delivered']} in {run['elapsed']:.1f} s: "
              f"{rate:.0f} deliveries/s (target >= {DELIVERIES_PER_SECOND_TARGET:.0f}); "
              f"ratio runner/plain {rate / raw:.2f} (requests), {rate / raw_urllib3:.2f} "
              "(urllib3)")
        cpus = ", ".join(f"{cpu:.1f}" for cpu in run["cpu"])
        print(f"  CPU of the runner process{'es' if count > 1 else ''}: {cpus} s; "
              f"{run['cpu_us']:.0f} us per delivery (one core: at most "
              f"{1e6 / run['cpu_us']:.0f} deliveries/s per process)")
        print(f"  status counts {run['counts']}")
        if run["timed_out"]:
            missed.append(f"delivery with {label} runners did not finish in time")
    print(f"  plain requests, a thread per receiver, no database: {raw:.0f} requests/s")
    print(f"  plain urllib3 (what the sender uses), the same way: {raw_urllib3:.0f} "
          "requests/s")
    print(f"  receivers got {result['received']}")
    best = max(run["rate"] for label, run in result["runs"].items() if "before" not in label)
    if best < DELIVERIES_PER_SECOND_TARGET:
        missed.append(f"delivery rate {best:.0f}/s < {DELIVERIES_PER_SECOND_TARGET:.0f}/s")
    return missed


def report_slow(result: dict, healthy: dict) -> list[str]:
    """Print the figures with one slow receiver; return the targets missed."""
    missed = []
    for label, run in result["runs"].items():
        if label not in healthy["runs"]:
            continue
        count = run["count"]
        per_endpoint = run["rate"] / result["endpoints"]
        before = healthy["runs"][label]["rate"] / healthy["endpoints"]
        ratio = per_endpoint / before
        print(f"delivery with one of the {ENDPOINTS} receivers answering after {SLOW:g} s, "
              f"{count} runner process{'es' if count > 1 else ''}: the other "
              f"{result['endpoints']} delivered {run['counts']['delivered']} in "
              f"{run['elapsed']:.1f} s: {run['rate']:.0f} deliveries/s")
        print(f"  per healthy endpoint {per_endpoint:.0f}/s, against {before:.0f}/s when all "
              f"answer at once: ratio {ratio:.2f} (target >= {SLOW_RATIO_TARGET:.2f}); "
              f"{run['cpu_us']:.0f} us CPU per delivery")
        if run["timed_out"]:
            missed.append("delivery beside a slow endpoint did not finish in time")
        if ratio < SLOW_RATIO_TARGET:
            missed.append(f"healthy endpoints kept {ratio:.2f} of their rate beside a slow one")
    print(f"  receivers got {result['received']}")
    return missed


def report_outbox(result: dict) -> list[str]:
    """Print the outbox figures; return the targets missed."""
    rows, sweep = result["rows"], result["sweep"]
    print(f"outbox: {rows:,} pending deliveries of a removed endpoint, then {rows:,} more "
          "finished long ago (with an attempt each), SQLite")
    print(f"  claim of a live endpoint: {result['claim_ms']:.2f} ms (median; alone in the "
          f"outbox {result['claim_alone_ms']:.2f} ms, ratio "
          f"{result['claim_ms'] / result['claim_alone_ms']:.2f}; target < "
          f"{CLAIM_MS_TARGET:g} ms)")
    print(f"    its UPDATE alone, without the commit: {result['claim_update_ms']:.3f} ms "
          f"(alone in the outbox {result['claim_update_alone_ms']:.3f} ms, ratio "
          f"{result['claim_update_ms'] / result['claim_update_alone_ms']:.2f})")
    print(f"  expiry as one UPDATE (before): one transaction of "
          f"{result['expiry_one_transaction']:.2f} s")
    print(f"  sweep (expiry, then retention) in {sweep['batches']} batches, "
          f"{sweep['seconds']:.1f} s in all: longest transaction {1000 * sweep['longest']:.0f} "
          f"ms (ratio to one UPDATE {sweep['longest'] / result['expiry_one_transaction']:.4f};"
          f" target < {SWEEP_TRANSACTION_TARGET:g} s)")
    print(f"  a writer beside it (a commit every 20 ms): longest wait "
          f"{1000 * sweep['writer_longest']:.0f} ms, {sweep['writer_failures']} failed")
    print(f"  left {result['left']}")
    missed = []
    if result["claim_ms"] >= CLAIM_MS_TARGET:
        missed.append(f"claim {result['claim_ms']:.2f} ms >= {CLAIM_MS_TARGET:g} ms")
    if sweep["longest"] >= SWEEP_TRANSACTION_TARGET:
        missed.append(f"sweep transaction {sweep['longest']:.2f} s")
    if sweep["writer_failures"]:
        missed.append(f"{sweep['writer_failures']} writes failed during the sweep")
    return missed


def report_capture(result: dict) -> list[str]:
    """Print the capture figures; return the targets missed.

    The target is judged on the REST server's CPU time per subscription: what a
    client waits for on a machine with a core to spare, and, unlike wall time, hardly
    moved by other work on a shared machine. Wall time is printed too.
    """
    members = result["members"]
    seconds, cpu = result["seconds"], result["cpu"]
    print(f"capture: {members} subscriptions through REST, three REST servers (Mailman's "
          "runner -r rest, gunicorn) taking chunks in turn")
    for name, label in (("without", "without the plugin"),
                        ("with", "with the plugin, 3 endpoints matching"),
                        ("idle", "with the plugin, no endpoint matching"),
                        ("before", "the code before (--before), 3 endpoints matching")):
        if name not in cpu:
            continue
        print(f"  {label}: {1000 * cpu[name] / members:.2f} ms CPU, "
              f"{1000 * seconds[name] / members:.2f} ms wall per subscription")
    cpu_ratio = cpu["with"] / cpu["without"]
    wall_ratio = seconds["with"] / seconds["without"]
    rounds = result["rounds"]
    median = _median_ratio(rounds, "with")
    print(f"  outbox (events, deliveries) {result['rows']['with']}")
    print(f"  ratio with/without: {cpu_ratio:.3f} (CPU), wall {wall_ratio:.3f}; no endpoint "
          f"matching: CPU {cpu['idle'] / cpu['without']:.3f}, wall "
          f"{seconds['idle'] / seconds['without']:.3f}")
    print(f"  median over the {len(rounds)} rounds of the CPU ratio with/without: "
          f"{median:.3f} (target <= {OVERHEAD_TARGET:.2f}); no endpoint matching "
          f"{_median_ratio(rounds, 'idle'):.3f}")
    if "before" in cpu:
        print(f"  the code before, with/without: {cpu['before'] / cpu['without']:.3f} (CPU), "
              f"wall {seconds['before'] / seconds['without']:.3f}; median "
              f"{_median_ratio(rounds, 'before'):.3f}")
    if median > OVERHEAD_TARGET:
        return [f"capture overhead ratio {median:.3f} > {OVERHEAD_TARGET:.2f}"]
    return []


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=240.0,
                        help="longest the runner may take before the run gives up")
    parser.add_argument("--only", choices=("delivery", "sender", "outbox", "capture"))
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the runner's lanes to stderr (healthy "
                        "delivery only)")
    parser.add_argument("--receivers", help=argparse.SUPPRESS)
    parser.add_argument("--instances", default="1,2",
                        help="numbers of runner processes to measure delivery with, "
                        "comma-separated (default 1,2)")
    parser.add_argument("--before", type=Path,
                        help="the src directory of another checkout (e.g. made by git "
                        "archive of an earlier commit): its plugin is measured too, in the "
                        "same run (delivery with one process, capture)")
    parser.add_argument("--fill-child", help=argparse.SUPPRESS)
    parser.add_argument("--runner-child", help=argparse.SUPPRESS)
    parser.add_argument("--slice", help=argparse.SUPPRESS)
    parser.add_argument("--outbox-child", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="deliveries of a removed endpoint (and as many finished ones) "
                        "in the outbox benchmark")
    args = parser.parse_args(argv)
    if args.receivers:
        return _serve_receivers([float(delay) for delay in args.receivers.split(",")])
    if args.outbox_child:
        return _outbox_child(args.outbox_child, args.rows)
    if args.fill_child:
        return _fill_child(args.fill_child, args.events)
    if args.runner_child:
        number, count = (int(part) for part in args.slice.split(":"))
        return _runner_child(args.runner_child, number, count, args.profile)
    instances = [int(count) for count in args.instances.split(",")]

    missed = []
    with tempfile.TemporaryDirectory(prefix="webhooks-bench-") as tmp:
        work = Path(tmp)
        if args.only in (None, "delivery"):
            healthy = bench_delivery(work, args.events, args.seconds, args.profile,
                                     [0.0] * ENDPOINTS, instances, args.before)
            missed += report_healthy(healthy, args.events)
            if not args.profile:
                slow = bench_delivery(work, args.events, args.seconds, False,
                                      [0.0] * (ENDPOINTS - 1) + [SLOW], instances[:1])
                missed += report_slow(slow, healthy)
        if args.only in (None, "sender"):
            missed += report_sender(bench_sender(max(args.events // 5, 10)))
        if args.only in (None, "outbox"):
            missed += report_outbox(bench_outbox(work, args.rows))
        if args.only in (None, "capture"):
            missed += report_capture(bench_capture(work, args.members, args.chunk, args.before))
    if missed:
        print("TARGET MISSED: " + "; ".join(missed))
    else:
        print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
