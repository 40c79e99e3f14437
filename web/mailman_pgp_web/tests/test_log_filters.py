"""The webhook receiver's ``?key=`` never reaches the request log of Django's own server."""

from __future__ import annotations

import copy
import io
import logging
import logging.config
import runpy
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.core.wsgi import get_wsgi_application

from mailman_pgp_web.log_filters import RedactWebhookKey, redact_key

DEMO_SETTINGS = Path(__file__).resolve().parents[2] / "demo_site" / "settings.py"
KEY = "k3y-that-must-not-be-logged"


def test_redact_key_replaces_only_the_key_parameter():
    line = f"POST /pgp/webhooks/?page=2&key={KEY}&x=1 HTTP/1.1"
    assert redact_key(line) == "POST /pgp/webhooks/?page=2&key=[redacted]&x=1 HTTP/1.1"
    assert redact_key("GET /lists/?monkey=1") == "GET /lists/?monkey=1"


@pytest.fixture
def demo_logging(tmp_path, monkeypatch) -> dict:
    """The demo site's LOGGING setting, read from its settings file in a scratch var dir."""
    for name in ("secret-key", "webhook-secret", "webhook-key"):
        (tmp_path / name).write_text("x\n")
    monkeypatch.setenv("MAILMAN_PGP_DEMO_VAR", str(tmp_path))
    return runpy.run_path(str(DEMO_SETTINGS))["LOGGING"]


@pytest.fixture
def wsgi_app():
    """The tests' site; made before `server_log`, as Django's set-up configures logging."""
    return get_wsgi_application()


@pytest.fixture
def server_log(wsgi_app, demo_logging) -> Iterator[io.StringIO]:
    """The demo's ``django.server`` logger configuration, its console swapped for a buffer."""
    server_logger = logging.getLogger("django.server")
    saved = (server_logger.handlers[:], server_logger.filters[:], server_logger.propagate,
             server_logger.level)
    buffer = io.StringIO()
    config = copy.deepcopy(demo_logging)
    config["handlers"] = {"console": {"class": "logging.StreamHandler", "stream": buffer}}
    config["loggers"] = {"django.server": config["loggers"]["django.server"]}
    logging.config.dictConfig(config)
    try:
        yield buffer
    finally:
        server_logger.handlers[:], server_logger.filters[:] = saved[0], saved[1]
        server_logger.propagate, server_logger.level = saved[2], saved[3]


def test_demo_site_server_log_has_no_webhook_key(wsgi_app, server_log):
    assert any(isinstance(f, RedactWebhookKey) for f in logging.getLogger("django.server").filters)
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(wsgi_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/pgp/webhooks/?key={KEY}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            request = urllib.request.Request(url, data=b"{}", headers={"Host": "localhost"})
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 403
    finally:
        server.shutdown()
        server.server_close()
    logged = server_log.getvalue()
    assert '"POST /pgp/webhooks/?key=[redacted] HTTP/1.1" 403' in logged
    assert KEY not in logged
