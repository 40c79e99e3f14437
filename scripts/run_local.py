"""`make run`: a local Mailman with both plugins, the web site, SQLite, and sinks.

Everything lives under ``var/`` in the checkout. Mailman's master process runs in the
foreground; outgoing mail goes to an SMTP sink that stores each delivered message as a
file, and webhooks go to a local HTTP receiver that stores each POST as a JSON file and to
the web site (web/demo_site: Postorius and mailman_pgp_web on 127.0.0.1:8000, its own
SQLite database under var/web/). A demo PGP list and a superuser are made on first start.
Ctrl-C stops the web site, Mailman (the master stops its runners) and then the sinks.
"""

import base64
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

import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
ETC = VAR / "etc"
SINK = VAR / "sink"
HOOKS = VAR / "webhooks"
WEB = VAR / "web"

HOST = "127.0.0.1"
LMTP_PORT = 8024
SMTP_PORT = 8025
WEBHOOK_PORT = 8026
REST_PORT = 8001
REST_USER = "restadmin"
REST_PASS = "restpass"
WEB_PORT = 8000
WEB_USER = "admin"
WEB_PASS = "mailman-pgp"
WEB_EMAIL = "admin@example.com"
DEMO_LIST = "crypt@example.com"
REST_WAIT_SECONDS = 120


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


def webhooks_cfg(api_key: str, secret: str, web_key: str, web_secret: str) -> str:
    return f"""\
# Written by `make run`: every event goes to the local receiver, which stores it
# under var/webhooks/, and to the web site's receiver (mailman_pgp_web).
[endpoint.local]
url: http://{HOST}:{WEBHOOK_PORT}/events
api_key: {api_key}
events: .*
secret: {secret}
timeout: 5s

[endpoint.web]
url: http://{HOST}:{WEB_PORT}/pgp/webhooks/
api_key: {web_key}
events: .*
secret: {web_secret}
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


def secret_file(path: Path, make) -> str:
    """The secret kept in ``path`` (mode 0600), made by ``make()`` the first time."""
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text()


def api_key() -> str:
    return secrets.token_urlsafe(24)


def webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def write_config() -> Path:
    for directory in (ETC, SINK, HOOKS, WEB):
        directory.mkdir(parents=True, exist_ok=True)
    secret_file(WEB / "secret-key", lambda: secrets.token_urlsafe(50))
    hooks = ETC / "webhooks.cfg"
    hooks.write_text(webhooks_cfg(
        secret_file(ETC / "webhooks.local-key", api_key),
        secret_file(ETC / "webhooks.local-secret", webhook_secret),
        secret_file(WEB / "webhook-key", api_key),
        secret_file(WEB / "webhook-secret", webhook_secret)))
    hooks.chmod(0o600)
    cfg = ETC / "mailman.cfg"
    cfg.write_text(MAILMAN_CFG)
    return cfg


def web_env() -> dict[str, str]:
    """The environment of the web site's commands: web/ importable, its settings, var/web."""
    env = {k: v for k, v in os.environ.items() if k != "MAILMAN_CONFIG_FILE"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "web"), *filter(None, [env.get("PYTHONPATH")])])
    env["DJANGO_SETTINGS_MODULE"] = "demo_site.settings"
    env["MAILMAN_PGP_DEMO_VAR"] = str(WEB)
    env["MAILMAN_PGP_DEMO_REST_URL"] = f"http://{HOST}:{REST_PORT}"
    env["MAILMAN_PGP_DEMO_SMTP_PORT"] = str(SMTP_PORT)
    return env


SUPERUSER = f"""\
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
User = get_user_model()
if not User.objects.filter(username={WEB_USER!r}).exists():
    user = User.objects.create_superuser({WEB_USER!r}, {WEB_EMAIL!r}, {WEB_PASS!r})
    EmailAddress.objects.create(user=user, email={WEB_EMAIL!r}, verified=True, primary=True)
"""


def prepare_web_site() -> None:
    """Migrate the site's database and make its superuser, once."""
    django = [sys.executable, "-m", "django"]
    subprocess.run([*django, "migrate", "--noinput", "-v", "0"], env=web_env(), check=True)
    subprocess.run([*django, "shell", "-c", SUPERUSER], env=web_env(), check=True)


def wait_for_rest(master: subprocess.Popen) -> bool:
    """True once Mailman's REST answers; False if the master ended or time ran out."""
    deadline = time.monotonic() + REST_WAIT_SECONDS
    while time.monotonic() < deadline and master.poll() is None:
        try:
            requests.get(f"http://{HOST}:{REST_PORT}/3.1/system/versions",
                         auth=(REST_USER, REST_PASS), timeout=2).raise_for_status()
            return True
        except requests.RequestException:
            time.sleep(0.5)
    return False


def make_demo_list() -> None:
    """The domain example.com and the PGP list crypt@example.com owned by the superuser."""
    api = f"http://{HOST}:{REST_PORT}/3.1"
    auth = (REST_USER, REST_PASS)
    list_id = DEMO_LIST.replace("@", ".")
    if requests.get(f"{api}/lists/{list_id}", auth=auth, timeout=10).status_code == 200:
        return
    domain = DEMO_LIST.partition("@")[2]
    if requests.get(f"{api}/domains/{domain}", auth=auth, timeout=10).status_code == 404:
        requests.post(f"{api}/domains", data={"mail_host": domain}, auth=auth,
                      timeout=10).raise_for_status()
    requests.post(f"{api}/lists", data={"fqdn_listname": DEMO_LIST}, auth=auth,
                  timeout=10).raise_for_status()
    requests.post(f"{api}/members", data={"list_id": list_id, "subscriber": WEB_EMAIL,
                                          "role": "owner"}, auth=auth,
                  timeout=10).raise_for_status()
    requests.post(f"{api}/plugins/pgp/lists", json={"list_id": list_id}, auth=auth,
                  timeout=60).raise_for_status()
    print(f"made the PGP list {DEMO_LIST}, owned by {WEB_EMAIL}", flush=True)


def main() -> int:
    os.chdir(ROOT)
    cfg = write_config()
    prepare_web_site()
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
  webhooks     {HOST}:{WEBHOOK_PORT}   events land in {HOOKS}/ (and go to the web site)
  web site     http://{HOST}:{WEB_PORT}/   Postorius and the PGP pages; user {WEB_USER},
               password {WEB_PASS}; the demo PGP list {DEMO_LIST}
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
    web: subprocess.Popen | None = None

    def stop(signum, frame) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nstopping the web site and Mailman ...", flush=True)
            if web is not None:
                web.terminate()
            master.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        if wait_for_rest(master) and not stopping:
            make_demo_list()
            web = subprocess.Popen(
                [sys.executable, "-m", "django", "runserver", f"{HOST}:{WEB_PORT}",
                 "--noreload"],
                env=web_env(), start_new_session=True)
        while master.poll() is None:
            time.sleep(0.2)
    finally:
        if web is not None:
            web.terminate()
            web.wait(timeout=10)
        receiver.shutdown()
        smtp.stop()
    print(f"Mailman stopped (exit status {master.returncode}).", flush=True)
    return 0 if stopping else master.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
