"""Webhooks: delivery throughput of the real runner, and what capturing costs Mailman.

Delivery: 10,000 captured events, each due to 3 endpoints (30,000 deliveries), are
sent by the plugin's own `WebhooksRunner.process_batch` (claim outbox rows, POST,
record each attempt) to 3 HTTP receivers on 127.0.0.1 in another process, on a
fresh SQLite Mailman. Printed: deliveries per second (target: at least 500).

Capture: Mailman REST servers (Mailman's own ``runner -r rest`` processes), each on
its own temporary var dir and SQLite database: one with ``[plugin.webhooks]`` and 3
endpoints matching every event, one without the plugin, and one with the plugin whose
endpoints match nothing (its fixed cost). 1,000 members are subscribed through REST on
each, in chunks taken in turn by the servers so that all see the same machine.
Printed: seconds per subscription and the ratio with/without (target: at most 1.10,
i.e. 10% overhead).

Only loopback traffic; every wait is bounded, and the run stops by itself.
"""

from __future__ import annotations

import argparse
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REST_USER = "restadmin"
REST_PASS = "restpass"
ENDPOINTS = 3
DELIVERIES_PER_SECOND_TARGET = 500.0
OVERHEAD_TARGET = 1.10
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


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MAILMAN_")}


# -- receivers (a child process) ------------------------------------------------------


def _serve_receivers(count: int) -> int:
    """Run ``count`` HTTP receivers; print their ports; on stdin EOF print their tallies."""
    tallies = [0] * count
    lock = threading.Lock()
    servers = []

    def handler_for(index: int):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle's algorithm the body
            # waits for the client's delayed ACK (tens of ms), which no production
            # server imposes and which would measure the kernel, not the runner.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    tallies[index] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args) -> None:
                pass

        return Handler

    for index in range(count):
        server = ThreadingHTTPServer((HOST, 0), handler_for(index))
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    print(json.dumps([server.server_address[1] for server in servers]), flush=True)
    sys.stdin.read()
    for server in servers:
        server.shutdown()
    with lock:
        print(json.dumps(tallies), flush=True)
    return 0


class Receivers:
    """The receivers' child process."""

    def __init__(self, count: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.webhooks", "--receivers", str(count)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
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


# -- delivery throughput (a child process with Mailman initialized) -------------------


def _delivery_child(cfg: str, events: int, seconds: float, profile: bool) -> int:
    """Fill the outbox with ``events`` events, run the runner until it is empty."""
    from mailman.core.initialize import initialize

    initialize(cfg)

    from mailman.config import config
    from mailman.database.transaction import transaction
    from mailman.interfaces.domain import DomainCreatedEvent, IDomainManager
    from sqlalchemy import func, select
    from zope.component import getUtility

    from mailman_webhooks.capture import record_event
    from mailman_webhooks.configuration import webhooks_settings
    from mailman_webhooks.model import DeliveryStatus, WebhookDelivery
    from mailman_webhooks.runner import WebhooksRunner

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

    def counts() -> dict[str, int]:
        rows = store.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        )
        result = {status.value: 0 for status in DeliveryStatus}
        result.update({status.value: number for status, number in rows})
        store.commit()
        return result

    total = sum(counts().values())
    runner = WebhooksRunner("webhooks")
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        if runner.process_batch() == 0 and counts()["pending"] == 0:
            break
    elapsed = time.perf_counter() - started
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
    runner._clean_up()
    final = counts()
    print(json.dumps({
        "deliveries": total,
        "fill_seconds": fill_seconds,
        "elapsed": elapsed,
        "counts": final,
        "timed_out": final["pending"] > 0,
    }), flush=True)
    return 0


def bench_delivery(work: Path, events: int, seconds: float, profile: bool) -> dict:
    receivers = Receivers(ENDPOINTS)
    try:
        hooks = work / "delivery-webhooks.cfg"
        hooks.write_text(_webhooks_cfg(receivers.urls))
        cfg = work / "delivery-mailman.cfg"
        cfg.write_text(_mailman_cfg(work / "delivery-var", _free_port(), hooks))
        command = [sys.executable, "-m", "benchmarks.webhooks", "--delivery-child", str(cfg),
                   "--events", str(events), "--seconds", str(seconds)]
        if profile:
            command.append("--profile")
        child = subprocess.run(
            command, cwd=ROOT, env=_clean_env(), stdout=subprocess.PIPE, text=True,
            timeout=seconds + CHILD_TIMEOUT, check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        result_tallies = receivers.stop()
    result["received"] = result_tallies
    return result


# -- capture overhead (two REST servers) ----------------------------------------------


class RestServer:
    """Mailman's REST runner (``runner -r rest``) on its own var dir and port."""

    def __init__(self, work: Path, name: str, webhooks_cfg: Path | None) -> None:
        self.port = _free_port()
        self.var_dir = work / f"{name}-var"
        self.cfg = work / f"{name}-mailman.cfg"
        self.cfg.write_text(_mailman_cfg(self.var_dir, self.port, webhooks_cfg))
        self.log = open(work / f"{name}-rest.log", "w")  # noqa: SIM115
        runner = Path(sys.executable).parent / "runner"
        self.process = subprocess.Popen(
            [str(runner), "-C", str(self.cfg), "-r", "rest"],
            cwd=work, env=_clean_env(), stdout=self.log, stderr=subprocess.STDOUT,
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

    def subscribe(self, first: int, count: int) -> float:
        """Subscribe members ``first`` .. ``first + count - 1``; return the seconds taken."""
        started = time.perf_counter()
        for number in range(first, first + count):
            self.post(
                "members", list_id="bench.example.com",
                subscriber=f"member{number}@example.com", display_name=f"Member {number}",
                pre_verified=True, pre_confirmed=True, pre_approved=True,
                send_welcome_message=False,
            )
        return time.perf_counter() - started

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


def bench_capture(work: Path, members: int, chunk: int) -> dict:
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
        for server in servers.values():
            server.post("domains", mail_host="example.com")
            server.post("lists", fqdn_listname="bench@example.com")
            server.subscribe(10_000_000, 20)  # warm-up, not counted
        seconds = dict.fromkeys(servers, 0.0)
        order = list(servers)
        for first in range(0, members, chunk):
            count = min(chunk, members - first)
            for name in order:
                seconds[name] += servers[name].subscribe(first, count)
            # Each server goes first, second and last equally often.
            order = order[1:] + order[:1]
        rows = {name: server.outbox_rows() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    return {"seconds": seconds, "rows": rows, "members": members}


# -- report ---------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=240.0,
                        help="longest the runner may take before the run gives up")
    parser.add_argument("--only", choices=("delivery", "capture"))
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the runner to stderr")
    parser.add_argument("--receivers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--delivery-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receivers:
        return _serve_receivers(args.receivers)
    if args.delivery_child:
        return _delivery_child(args.delivery_child, args.events, args.seconds, args.profile)

    missed = []
    with tempfile.TemporaryDirectory(prefix="webhooks-bench-") as tmp:
        work = Path(tmp)
        if args.only in (None, "delivery"):
            result = bench_delivery(work, args.events, args.seconds, args.profile)
            rate = result["counts"]["delivered"] / result["elapsed"]
            print(f"delivery: {args.events} events x {ENDPOINTS} endpoints = "
                  f"{result['deliveries']} deliveries, SQLite, one runner, loopback receivers")
            print(f"  outbox filled in {result['fill_seconds']:.1f} s "
                  f"({args.events / result['fill_seconds']:.0f} events/s through record_event)")
            print(f"  delivered {result['counts']['delivered']} in {result['elapsed']:.1f} s: "
                  f"{rate:.0f} deliveries/s (target >= {DELIVERIES_PER_SECOND_TARGET:.0f})")
            print(f"  status counts {result['counts']}; receivers got {result['received']}")
            if result["timed_out"]:
                missed.append(f"delivery did not finish within {args.seconds:.0f} s")
            if rate < DELIVERIES_PER_SECOND_TARGET:
                missed.append(f"delivery rate {rate:.0f}/s < {DELIVERIES_PER_SECOND_TARGET:.0f}/s")
        if args.only in (None, "capture"):
            result = bench_capture(work, args.members, args.chunk)
            with_s, without_s = result["seconds"]["with"], result["seconds"]["without"]
            ratio = with_s / without_s
            print(f"capture: {args.members} subscriptions through REST, chunks of "
                  f"{args.chunk} taken in turn by three REST servers")
            print(f"  without the plugin: {without_s:.1f} s "
                  f"({1000 * without_s / args.members:.2f} ms each)")
            print(f"  with the plugin:    {with_s:.1f} s "
                  f"({1000 * with_s / args.members:.2f} ms each); outbox (events, deliveries) "
                  f"{result['rows']['with']}")
            idle_s = result["seconds"]["idle"]
            print(f"  plugin, no endpoint matching: {idle_s:.1f} s "
                  f"({1000 * idle_s / args.members:.2f} ms each; ratio {idle_s / without_s:.3f})")
            print(f"  ratio with/without: {ratio:.3f} (target <= {OVERHEAD_TARGET:.2f})")
            if ratio > OVERHEAD_TARGET:
                missed.append(f"capture overhead ratio {ratio:.3f} > {OVERHEAD_TARGET:.2f}")
    if missed:
        print("TARGET MISSED: " + "; ".join(missed))
    else:
        print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
