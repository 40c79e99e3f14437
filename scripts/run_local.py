"""`make run`: a local Mailman with both plugins, SQLite, and sinks for what it sends.

Everything lives under ``var/`` in the checkout. Mailman's master process runs in the
foreground; outgoing mail goes to an SMTP sink that stores each delivered message as a
file, and webhooks go to a local HTTP receiver that stores each POST as a JSON file.
Ctrl-C stops Mailman (the master stops its runners) and then the sinks.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
ETC = VAR / "etc"
SINK = VAR / "sink"
HOOKS = VAR / "webhooks"

HOST = "127.0.0.1"
LMTP_PORT = 8024
SMTP_PORT = 8025
WEBHOOK_PORT = 8026
REST_PORT = 8001
REST_USER = "restadmin"
REST_PASS = "restpass"


MAILMAN_CFG = f"""\
# Written by `make run`; edits are overwritten on the next start.
[mailman]
layout: here
site_owner: admin@example.com

[mta]
incoming: mailman.mta.null.NullMTA
lmtp_host: {HOST}
lmtp_port: {LMTP_PORT}
smtp_host: {HOST}
smtp_port: {SMTP_PORT}

[webservice]
hostname: {HOST}
port: {REST_PORT}
admin_user: {REST_USER}
admin_pass: {REST_PASS}

[plugin.pgp]
class: mailman_pgp.plugin.PGPPlugin
enabled: yes
component_package: mailman_pgp

[plugin.webhooks]
class: mailman_webhooks.plugin.WebhooksPlugin
enabled: yes
component_package: mailman_webhooks
configuration: {ETC / "webhooks.cfg"}
"""


def webhooks_cfg(api_key: str, secret: str) -> str:
    return f"""\
# Written by `make run`: every event goes to the local receiver, which stores it
# under var/webhooks/.
[endpoint.local]
url: http://{HOST}:{WEBHOOK_PORT}/events
api_key: {api_key}
events: .*
secret: {secret}
timeout: 5s
"""


class SinkHandler:
    """Store every message the SMTP sink receives as ``var/sink/<time>-<n>.eml``."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.count += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
        path = SINK / f"{stamp}-{self.count}.eml"
        recipients = ", ".join(envelope.rcpt_tos)
        header = (
            f"X-Sink-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Sink-Envelope-To: {recipients}\r\n"
        )
        path.write_bytes(header.encode() + envelope.original_content)
        print(f"sink: {path.relative_to(ROOT)} to {recipients}", flush=True)
        return "250 OK"


class LongLineSMTP(SMTP):
    """Accept lines longer than RFC 5321's limit: a sink stores, it does not judge."""

    line_length_limit = 1 << 20


class SinkController(Controller):
    def factory(self):
        return LongLineSMTP(self.handler, decode_data=False)


class WebhookReceiver(BaseHTTPRequestHandler):
    """Store every POST body as ``var/webhooks/<time>-<event name>.json``."""

    # Without it, Nagle's algorithm and delayed ACKs stall every answer by ~40 ms.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            name = json.loads(body).get("name", "event")
        except ValueError:
            name = "unparsable"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
        (HOOKS / f"{stamp}-{name}.json").write_bytes(body)
        print(f"webhook: {name}", flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args) -> None:
        """Quiet: one line per event is printed by do_POST."""


def write_config() -> Path:
    for directory in (ETC, SINK, HOOKS):
        directory.mkdir(parents=True, exist_ok=True)
    key_file = ETC / "webhooks.local-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(24))
        key_file.chmod(0o600)
    secret_file = ETC / "webhooks.local-secret"
    if not secret_file.exists():
        import base64

        secret_file.write_text("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())
        secret_file.chmod(0o600)
    hooks = ETC / "webhooks.cfg"
    hooks.write_text(webhooks_cfg(key_file.read_text(), secret_file.read_text()))
    hooks.chmod(0o600)
    cfg = ETC / "mailman.cfg"
    cfg.write_text(MAILMAN_CFG)
    return cfg


def main() -> int:
    os.chdir(ROOT)
    cfg = write_config()
    smtp = SinkController(SinkHandler(), hostname=HOST, port=SMTP_PORT)
    smtp.start()
    receiver = ThreadingHTTPServer((HOST, WEBHOOK_PORT), WebhookReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    print(
        f"""
Mailman with the pgp and webhooks plugins, all under {VAR}:
  REST API     http://{HOST}:{REST_PORT}/3.1/   user {REST_USER}, password {REST_PASS}
  LMTP intake  {HOST}:{LMTP_PORT}      (send posts here)
  SMTP sink    {HOST}:{SMTP_PORT}      delivered mail lands in {SINK}/
  webhooks     {HOST}:{WEBHOOK_PORT}   events land in {HOOKS}/
  logs         {VAR / "logs"}/
Ctrl-C stops everything.
""",
        flush=True,
    )
    env = {k: v for k, v in os.environ.items() if k != "MAILMAN_CONFIG_FILE"}
    master = subprocess.Popen(
        [str(Path(sys.executable).parent / "master"), "-C", str(cfg), "--force"],
        env=env,
        start_new_session=True,
    )
    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nstopping Mailman ...", flush=True)
            master.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while master.poll() is None:
            time.sleep(0.2)
    finally:
        receiver.shutdown()
        smtp.stop()
    print(f"Mailman stopped (exit status {master.returncode}).", flush=True)
    return 0 if stopping else master.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
