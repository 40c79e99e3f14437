"""List delivery: one 10 KB post through Mailman's real runners to N members, three lists.

A fresh Mailman (SQLite, its own var dir) is started as in production: Mailman's
``master`` with its runners in processes of their own, ``[runner.out] instances`` out
runners (default 2), the PGP plugin enabled. For each N, three lists of the same N
members (Curve25519 keys made by pysequoia, cached under ``var/bench/``, put straight
into the plugin's table as confirmed keys):

* ``bulk``: a plain list, bulk delivery (one message to up to ``[mta] max_recipients``);
* ``personal``: a plain list with Mailman's ``personalize`` (individual) and VERP, one
  message per member, as a PGP list must send;
* ``pgp``: a PGP list, the post encrypted and signed by a member with GnuPG, with what
  the plugin does on by default: the list's footer (Mailman's default template) and
  subject prefix inside the encryption, protected headers, Autocrypt, copies signed by
  the list, and the split of the fan-out over the out runners (``[delivery]``).

Each post is sent over LMTP to Mailman's LMTP runner; a loopback SMTP sink in this
process counts the deliveries (envelope recipients). Printed per list: seconds from the
LMTP hand-over to the last delivery and to the first, the CPU seconds the pipeline runner
and each out runner process spent, and the ratio to the personalized plain list of the
same N; then the CPU seconds of every runner process and of the sink; then each list's
time at the largest N over the smallest. ``--kinds`` runs some of the lists only;
``--py-spy DIR`` profiles the runners during each post. Runners poll their queues every
0.1 s (Mailman's default is 1 s), so that the times measure work rather than polling.

Only loopback traffic; every wait is bounded, and the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import json
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
HOST = "127.0.0.1"
DOMAIN = "example.com"
SIZES = (1000, 10000)
KINDS = ("bulk", "personal", "pgp")
AUTHOR = f"member0@{DOMAIN}"
MARKER = "list-delivery-marker-3f9a"
START_TIMEOUT = 120
SETUP_TIMEOUT = 3600
# Runners a post goes through; the others are not started.
RUNNERS = ("lmtp", "in", "pipeline", "out", "virgin", "retry", "archive", "digest")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _mailman_cfg(var_dir: Path, smtp_port: int, lmtp_port: int, out_instances: int,
                 pgp_cfg: Path | None = None) -> str:
    text = f"""\
[mailman]
layout: here
site_owner: admin@{DOMAIN}
[paths.here]
var_dir: {var_dir}
[mta]
incoming: mailman.mta.null.NullMTA
smtp_host: {HOST}
smtp_port: {smtp_port}
lmtp_host: {HOST}
lmtp_port: {lmtp_port}
verp_personalized_deliveries: yes
[plugin.pgp]
class: mailman_pgp.plugin.PGPPlugin
enabled: yes
component_package: mailman_pgp
"""
    if pgp_cfg is not None:
        text += f"configuration: {pgp_cfg}\n"
    for name in ("archive", "bounces", "command", "digest", "in", "lmtp", "nntp", "out",
                 "pipeline", "rest", "retry", "task", "virgin"):
        text += f"[runner.{name}]\n"
        if name not in RUNNERS:
            text += "start: no\n"
        elif name != "retry":
            text += "sleep_time: 0.1s\n"
        if name == "out":
            text += f"instances: {out_instances}\n"
    return text


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MAILMAN_")}


def _list_address(kind: str, n: int) -> str:
    return f"{kind}-{n}@{DOMAIN}"


def _member(number: int) -> str:
    return f"member{number}@{DOMAIN}"


# -- member keys (cached) ----------------------------------------------------------------


def member_certificates(count: int) -> list[str]:
    """Armored Curve25519 certificates for members 1 .. count-1, made once and cached."""
    from mailman_pgp.openpgp import generate_key

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "list_delivery_member_certs.json"
    certs: list[str] = json.loads(path.read_text()) if path.exists() else []
    if len(certs) < count:
        print(f"generating {count - len(certs)} Curve25519 member keys ...",
              file=sys.stderr, flush=True)
        for number in range(len(certs), count):
            key = generate_key(f"Member {number} <{_member(number)}>")
            certs.append(key.certificate.armor)
        path.write_text(json.dumps(certs))
    return certs[:count]


# -- set-up (a child process with Mailman initialized) --------------------------------------


def _post_body() -> str:
    from benchmarks.fanout import make_post

    head, _, body = make_post().decode().partition("\n\n")
    return f"{MARKER}\n{body}"


def _headers(list_address: str, subject: str, number: int) -> dict[str, str]:
    return {
        "From": f"Member Zero <{AUTHOR}>",
        "To": list_address,
        "Subject": subject,
        "Message-ID": f"<bench-{number}-{time.time_ns()}@client.{DOMAIN}>",
    }


def _setup_child(cfg: str, sizes: list[int], kinds: list[str], repeats: int,
                 work: str) -> int:
    """Make the lists, members and keys; write the posts to ``work``; print the timings."""
    from mailman.app.lifecycle import create_list
    from mailman.config import config
    from mailman.core.initialize import initialize
    from mailman.database.transaction import transaction
    from mailman.interfaces.domain import IDomainManager
    from mailman.interfaces.mailinglist import Personalization
    from mailman.interfaces.member import MemberRole
    from mailman.interfaces.usermanager import IUserManager
    from mailman.model.member import Member
    from mailman.model.preferences import Preferences
    from mailman.utilities.datetime import now
    from zope.component import getUtility

    initialize(cfg)
    from mailman_pgp.app.lists import make_pgp_list
    from mailman_pgp.model.address_key import PGPAddressKey
    from mailman_pgp.openpgp import load_certificate
    from mailman_pgp.testing.client_mail import headers_text, pgp_mime_message, text_body
    from mailman_pgp.testing.gnupg import GnuPGClient

    started = time.monotonic()
    largest = max(sizes)
    author = GnuPGClient()
    try:
        author.generate(f"Member Zero <{AUTHOR}>", "future-default")
        certs = [author.export(AUTHOR), *member_certificates(largest)[1:]]
        keyed = time.monotonic()
        users = getUtility(IUserManager)
        store = config.db.store
        with transaction():
            getUtility(IDomainManager).add(DOMAIN)
        lists = {}
        with transaction():
            for n in sizes:
                for kind in kinds:
                    mlist = create_list(_list_address(kind, n))
                    if kind == "personal":
                        mlist.personalize = Personalization.individual
                    if kind == "pgp":
                        make_pgp_list(mlist)
                    lists[kind, n] = mlist
        addresses = []
        for start in range(0, largest, 1000):
            # Without a flush before each of Mailman's look-ups (one per member's id).
            with transaction(), store.no_autoflush:
                for number in range(start, min(largest, start + 1000)):
                    address = users.create_address(_member(number), f"Member {number}")
                    address.verified_on = now()
                    addresses.append(address)
                    store.add(PGPAddressKey(_member(number), load_certificate(certs[number]),
                                            confirmed=True))
                    for (_kind, n), mlist in lists.items():
                        if number < n:
                            # The rows mlist.subscribe() makes, without its look-ups and
                            # events: 30 times faster for 33,000 subscriptions.
                            member = Member(MemberRole.member, mlist.list_id, address)
                            member.preferences = Preferences()
                            store.add(member)
        subscribed = time.monotonic()
        common_body = _post_body()
        posts: dict[str, list[str]] = {}
        number = 0
        for (kind, n), mlist in lists.items():
            for _ in range(repeats):
                number += 1
                headers = _headers(mlist.posting_address, f"A {kind} post to {n}", number)
                # A text of its own: the same text signed twice in a second is a replay.
                body = f"{common_body}\npost {number}\n"
                if kind == "pgp":
                    author.import_key(_pgp_list_key(mlist)[0])
                    armor = author.encrypt(text_body(body), _pgp_list_key(mlist)[1], AUTHOR)
                    raw = pgp_mime_message(armor, headers)
                else:
                    raw = (headers_text(headers) + "MIME-Version: 1.0\n"
                           "Content-Type: text/plain; charset=utf-8\n"
                           "Content-Transfer-Encoding: 8bit\n\n" + body).encode()
                path = Path(work) / f"post-{kind}-{n}-{number}.eml"
                path.write_bytes(raw)
                posts.setdefault(f"{kind} {n}", []).append(str(path))
    finally:
        author.close()
    print(json.dumps({"posts": posts, "keys_s": keyed - started,
                      "subscribe_s": subscribed - keyed}), flush=True)
    return 0


def _pgp_list_key(mlist) -> tuple[str, str]:
    """The public key of the PGP list ``mlist``, as a member imports it, and its fingerprint."""
    from zope.component import getUtility

    from mailman_pgp.interfaces.lists import IPGPListManager

    pgp_list = getUtility(IPGPListManager).get(mlist.list_id)
    return pgp_list.public_key, pgp_list.fingerprint


# -- the SMTP sink ---------------------------------------------------------------------------


@dataclass
class SinkTally:
    """What the sink received since `reset`: deliveries, the time of the last, samples."""

    deliveries: int = 0
    encrypted: int = 0
    in_clear: int = 0
    first: float = 0.0
    last: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.deliveries = self.encrypted = self.in_clear = 0
            self.first = self.last = 0.0


class SinkProtocol(asyncio.Protocol):
    """One SMTP connection to the sink: as much SMTP as smtplib speaks (EHLO or HELO, MAIL,
    RCPT, DATA, RSET, NOOP, QUIT), each message counted by its envelope recipients.

    Written for the benchmark rather than taken from aiosmtpd, whose server spent 0.7 ms
    of CPU per message, more than either out runner it measures, on the same cores.
    """

    END_OF_DATA = b"\r\n.\r\n"

    def __init__(self, tally: SinkTally) -> None:
        self.tally = tally
        self.buffer = bytearray()
        self.recipients = 0
        self.in_data = False
        self.scanned = 0

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, chunk: bytes) -> None:
        self.buffer += chunk
        while not self.transport.is_closing():
            if self.in_data:
                if not self._message_received():
                    return
            else:
                end = self.buffer.find(b"\r\n")
                if end < 0:
                    return
                line = bytes(self.buffer[:end])
                del self.buffer[:end + 2]
                self._command(line)

    def _message_received(self) -> bool:
        if self.buffer.startswith(b".\r\n"):
            data, consumed = b"", 3
        else:
            end = self.buffer.find(self.END_OF_DATA, max(0, self.scanned - 4))
            if end < 0:
                self.scanned = len(self.buffer)
                return False
            data, consumed = bytes(self.buffer[:end + 2]), end + 5
        del self.buffer[:consumed]
        self.in_data, self.scanned = False, 0
        tally = self.tally
        with tally.lock:
            tally.deliveries += self.recipients
            if b"multipart/encrypted" in data:
                tally.encrypted += self.recipients
            if MARKER.encode() in data:
                tally.in_clear += self.recipients
            tally.last = time.monotonic()
            tally.first = tally.first or tally.last
        self.recipients = 0
        self.transport.write(b"250 OK\r\n")
        return True

    def _command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            reply = b"250-sink\r\n250 8BITMIME\r\n"
        elif verb in (b"HELO", b"NOOP"):
            reply = b"250 OK\r\n"
        elif verb in (b"MAIL", b"RSET"):
            self.recipients = 0
            reply = b"250 OK\r\n"
        elif verb == b"RCPT":
            self.recipients += 1
            reply = b"250 OK\r\n"
        elif verb == b"DATA":
            self.in_data = True
            reply = b"354 End data with <CR><LF>.<CR><LF>\r\n"
        elif verb == b"QUIT":
            self.transport.write(b"221 Bye\r\n")
            self.transport.close()
            return
        else:
            reply = b"502 Command not implemented\r\n"
        self.transport.write(reply)


class Sink:
    """The loopback SMTP server that counts deliveries, on an event loop in a thread."""

    def __init__(self, tally: SinkTally, port: int) -> None:
        self.tally = tally
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name="sink", daemon=True)
        self.ready = threading.Event()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(self.loop.create_server(
            lambda: SinkProtocol(self.tally), HOST, self.port))
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()
            self.loop.run_until_complete(server.wait_closed())
            self.loop.close()

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(START_TIMEOUT):
            raise TimeoutError(f"the sink did not listen on {HOST}:{self.port}")

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=60)


# -- Mailman's master and its runners ----------------------------------------------------------


class Master:
    """``master -C cfg`` in the foreground, its output in a file."""

    def __init__(self, cfg: Path, log: Path) -> None:
        master = Path(sys.executable).parent / "master"
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [str(master), "-C", str(cfg), "--force"], stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=subprocess.STDOUT, env=_clean_env(), cwd=ROOT)

    def runners(self) -> dict[int, str]:
        """pid -> name of each runner process, with its slice (``out:0:2``)."""
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat.rpartition(")")[2].split()[1]) != self.process.pid:
                continue
            for arg in cmdline.split("\0"):
                if arg.startswith("--runner="):
                    found[int(entry.name)] = arg.partition("=")[2]
        return found

    def out_runners(self) -> dict[int, str]:
        """pid -> slice of each out runner process."""
        return {pid: name for pid, name in self.runners().items() if name.startswith("out:")}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    # utime and stime: fields 14 and 15 of stat, 12 and 13 after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout} s")


def _queued(var_dir: Path) -> int:
    queue = var_dir / "queue"
    return sum(1 for name in ("in", "pipeline", "out", "virgin", "retry")
               for path in (queue / name).glob("*")
               if path.suffix in (".pck", ".bak"))


def _shunted(var_dir: Path) -> int:
    return sum(1 for _ in (var_dir / "queue" / "shunt").glob("*.pck"))


@dataclass
class Measured:
    kind: str
    n: int
    seconds: float
    # Seconds from the LMTP hand-over to the first delivery: the pipeline and the split.
    first: float
    deliveries: int
    encrypted: int
    in_clear: int
    # Runner (``pipeline:0:1``, ``out:0:2`` ...) -> CPU seconds it spent while the post went
    # out; ``sink``: this process, the SMTP sink.
    cpu: dict[str, float]
    chunks: int

    @property
    def out_cpu(self) -> list[float]:
        return [seconds for name, seconds in sorted(self.cpu.items())
                if name.startswith("out:")]

    @property
    def pipeline_cpu(self) -> float:
        return sum(seconds for name, seconds in self.cpu.items()
                   if name.startswith("pipeline:"))


class Profiles:
    """py-spy sampling the runners named in ``RUNNERS_PROFILED``, and this process (the
    SMTP sink), while one post goes out."""

    RUNNERS_PROFILED = ("in", "pipeline", "out")

    def __init__(self, directory: Path, runners: dict[int, str], label: str) -> None:
        spy = Path(sys.executable).parent / "py-spy"
        directory.mkdir(parents=True, exist_ok=True)
        profiled = {pid: name for pid, name in runners.items()
                    if name.partition(":")[0] in self.RUNNERS_PROFILED}
        profiled[os.getpid()] = "sink"
        self.processes = [
            subprocess.Popen(
                [str(spy), "record", "--pid", str(pid), "--rate", "200", "--nonblocking",
                 "--format", "raw", "--output",
                 str(directory / f"{label}-{name.replace(':', '_')}.txt")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid, name in profiled.items()
        ]

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGINT)
        for process in self.processes:
            process.wait(timeout=60)


def _refusal(var_dir: Path, message_id: str) -> str | None:
    """The log line of a chain that held, rejected or discarded the post, if one did."""
    for log in (var_dir / "logs" / name for name in ("mailman.log", "vette.log")):
        if not log.exists():
            continue
        for line in log.read_text(errors="replace").splitlines():
            if message_id in line and re.search(r"\b(HOLD|REJECT|DISCARD)\b", line):
                return line
    return None


def _deliver_one(post: Path, kind: str, n: int, lmtp_port: int, tally: SinkTally,
                 master: Master, var_dir: Path, timeout: float,
                 profile: Path | None) -> Measured:
    """Send ``post`` over LMTP to the list ``kind``-``n`` and wait for ``n`` deliveries."""
    list_address = _list_address(kind, n)
    smtp_log = var_dir / "logs" / "smtp.log"
    log_start = smtp_log.stat().st_size if smtp_log.exists() else 0
    runners = master.runners()
    profiles = None if profile is None else Profiles(profile, runners, f"{kind}-{n}-{post.stem}")
    cpu_before = {pid: _cpu_seconds(pid) for pid in runners}
    sink_before = time.process_time()
    tally.reset()
    raw = post.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    start = time.monotonic()
    try:
        with smtplib.LMTP(HOST, lmtp_port) as client:
            client.sendmail(AUTHOR, [list_address], raw)
        deadline = start + timeout
        message_id = email.message_from_bytes(raw)["Message-ID"]
        next_look = start + 1.0
        while tally.deliveries < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{list_address}: {tally.deliveries} of {n} delivered "
                                   f"after {timeout} s ({_shunted(var_dir)} shunted)")
            if time.monotonic() > next_look:
                refusal = _refusal(var_dir, message_id)
                if refusal is not None:
                    raise RuntimeError(f"{list_address} did not take the post: {refusal}")
                next_look = time.monotonic() + 1.0
            time.sleep(0.05)
        # Let the queues drain (archive, digest, anything else) before the next post.
        while _queued(var_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        if profiles is not None:
            profiles.stop()
    cpu = {name: _cpu_seconds(pid) - cpu_before[pid] for pid, name in runners.items()}
    # The SMTP sink runs in this process, on the same cores as the runners.
    cpu["sink"] = time.process_time() - sink_before
    with smtp_log.open("rb") as log:
        log.seek(log_start)
        split = re.findall(rb"queued in (\d+) chunks", log.read())
    return Measured(kind, n, tally.last - start, tally.first - start, tally.deliveries,
                    tally.encrypted, tally.in_clear, cpu,
                    sum(int(count) for count in split))


def run(sizes: list[int], kinds: list[str], repeats: int, out_instances: int, timeout: float,
        keep: bool, delivery: dict[str, int],
        profile: Path | None) -> tuple[list[Measured], dict]:
    load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-list-delivery-"))
    var_dir = work / "var"
    smtp_port, lmtp_port = _free_port(), _free_port()
    cfg = work / "mailman.cfg"
    pgp_cfg = None
    if delivery:
        pgp_cfg = work / "pgp.cfg"
        pgp_cfg.write_text("[delivery]\n" + "".join(f"{k}: {v}\n" for k, v in delivery.items()))
    cfg.write_text(_mailman_cfg(var_dir, smtp_port, lmtp_port, out_instances, pgp_cfg))
    print(f"setting up {', '.join(map(str, sizes))} members in {work} ...",
          file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.list_delivery", "--setup", str(cfg),
         "--sizes", *map(str, sizes), "--kinds", *kinds, "--repeats", str(repeats),
         "--work", str(work)],
        cwd=ROOT, env=_clean_env(), capture_output=True, text=True, timeout=SETUP_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"set-up failed: {done.stderr[-3000:]}")
    setup = json.loads(done.stdout.strip().splitlines()[-1])
    tally = SinkTally()
    sink = Sink(tally, smtp_port)
    sink.start()
    master = Master(cfg, work / "master.log")
    results = []
    try:
        _wait_for_port(lmtp_port, START_TIMEOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while len(master.out_runners()) < out_instances and time.monotonic() < deadline:
            time.sleep(0.2)
        for n in sizes:
            for kind in kinds:
                best: Measured | None = None
                for path in setup["posts"][f"{kind} {n}"]:
                    measured = _deliver_one(Path(path), kind, n, lmtp_port, tally, master,
                                            var_dir, timeout, profile)
                    print(f"  {kind} N={n}: {measured.seconds:.2f} s", file=sys.stderr,
                          flush=True)
                    if best is None or measured.seconds < best.seconds:
                        best = measured
                assert best is not None
                results.append(best)
        setup["shunted"] = _shunted(var_dir)
    finally:
        master.stop()
        sink.stop()
        if not keep:
            subprocess.run(["rm", "-rf", str(work)], check=False)
    setup["work"] = str(work)
    setup["load"] = load
    return results, setup


def report(results: list[Measured], setup: dict, out_instances: int, repeats: int,
           delivery: dict[str, int]) -> None:
    split = ", ".join(f"{k} {v}" for k, v in delivery.items()) or "the plugin's defaults"
    print(f"one 10 KB post, LMTP to the last delivery, {out_instances} out runners"
          f" (best of {repeats}); [delivery]: {split}; load average at the start:"
          f" {setup['load']:.2f}")
    print(f"set-up: keys {setup['keys_s']:.1f} s, lists and members "
          f"{setup['subscribe_s']:.1f} s; shunted: {setup['shunted']}")
    print(f"{'list':<9} {'N':>6} {'seconds':>8} {'first s':>8} {'per member ms':>14} "
          f"{'delivered':>9} {'encrypted':>9} {'in clear':>8} {'chunks':>6} "
          f"{'pipeline CPU s':>14} {'out runner CPU s':>18} {'/personal':>10}")
    personal = {r.n: r.seconds for r in results if r.kind == "personal"}
    for r in results:
        cpu = " + ".join(f"{c:.1f}" for c in r.out_cpu)
        ratio = f"{r.seconds / personal[r.n]:.2f}" if r.n in personal else "-"
        print(f"{r.kind:<9} {r.n:>6} {r.seconds:>8.2f} {r.first:>8.2f} "
              f"{1000 * r.seconds / r.n:>14.3f} {r.deliveries:>9} {r.encrypted:>9} "
              f"{r.in_clear:>8} {r.chunks:>6} {r.pipeline_cpu:>14.2f} {cpu:>18} "
              f"{ratio:>10}")
    print("CPU seconds per runner process while the post went out:")
    for r in results:
        print(f"  {r.kind} N={r.n}: " + ", ".join(
            f"{name} {seconds:.2f}" for name, seconds in sorted(r.cpu.items())))
    sizes = sorted({r.n for r in results})
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        by = {(r.kind, r.n): r.seconds for r in results}
        for kind in dict.fromkeys(r.kind for r in results):
            print(f"{kind}: N={large} took {by[kind, large] / by[kind, small]:.2f}x N={small}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS),
                        help="the lists to set up and post to (default: all three)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out-instances", type=int, default=2,
                        help="[runner.out] instances (a power of two)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds one post may take to reach every member")
    parser.add_argument("--split-above", type=int,
                        help="the PGP plugin's [delivery] split_above (default: its default)")
    parser.add_argument("--chunk-size", type=int,
                        help="the PGP plugin's [delivery] chunk_size (default: its default)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dir")
    parser.add_argument("--py-spy", type=Path, metavar="DIR",
                        help="record py-spy profiles (raw, collapsed stacks) of the in, "
                             "pipeline and out runners during each post into DIR")
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        return _setup_child(args.setup, args.sizes, args.kinds, args.repeats, args.work)
    delivery = {key: value for key, value in (("split_above", args.split_above),
                                              ("chunk_size", args.chunk_size))
                if value is not None}
    kinds = [kind for kind in KINDS if kind in args.kinds]
    results, setup = run(sorted(args.sizes), kinds, args.repeats, args.out_instances,
                         args.timeout, args.keep, delivery, args.py_spy)
    report(results, setup, args.out_instances, args.repeats, delivery)
    return 0


if __name__ == "__main__":
    sys.exit(main())
