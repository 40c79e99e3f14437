# Test that one POST reaches a real loopback receiver with the body, key and headers, that
# each HTTP answer gets the right verdict, that one deadline bounds a whole request however
# slowly the receiver trickles, that certificates are checked against the endpoint's CA
# bundle, and that errors name the receiver by its origin only (no path, query, user, key).

from __future__ import annotations

import base64
import dataclasses
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mailman_webhooks.retry import Outcome, Verdict
from mailman_webhooks.sender import Sender
from mailman_webhooks.settings import Endpoint


def endpoint(url: str, **changes: Any) -> Endpoint:
    default = Endpoint(
        name="test",
        url=url,
        api_key="s3cr3t key",
        events=re.compile(".*"),
        secret=b"k" * 32,
        timeout=2.0,
        include_secrets=False,
    )
    return dataclasses.replace(default, **changes)


@pytest.fixture
def sender():
    instance = Sender()
    yield instance
    instance.close()


def test_post_carries_body_key_and_signature(receiver, sender):
    outcome = sender.send(endpoint(receiver.url), "ev-1", b'{"a":1}')
    assert outcome.verdict is Verdict.delivered
    assert outcome.error is None
    (request,) = receiver.requests
    assert request.body == b'{"a":1}'
    assert request.query == {"key": ["s3cr3t key"]}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "ev-1"
    assert request.headers["webhook-signature"].startswith("v1,")


def test_existing_query_is_kept(receiver, sender):
    sender.send(endpoint(receiver.url + "?list=ant"), "ev-1", b"{}")
    assert receiver.requests[0].query == {"list": ["ant"], "key": ["s3cr3t key"]}


def test_connection_is_kept_alive(receiver, sender):
    target = endpoint(receiver.url)
    for number in range(3):
        sender.send(target, f"ev-{number}", b"{}")
    assert len(receiver.requests) == 3
    assert len({request.peer for request in receiver.requests}) == 1


def test_user_info_in_the_url_is_sent_as_basic_authentication(receiver, sender):
    url = receiver.url.replace("http://", "http://hook%20user:p%40ss@")
    sender.send(endpoint(url), "ev-1", b"{}")
    expected = base64.b64encode(b"hook user:p@ss").decode()
    assert receiver.requests[0].headers["authorization"] == f"Basic {expected}"


def test_head_and_body_go_out_in_one_write(receiver, sender, monkeypatch):
    # One system call per request, not one for the head and one for the body (each
    # gives up the GIL and waits to get it back).
    writes: list[bytes] = []
    plain_sendall = socket.socket.sendall

    def sendall(sock: socket.socket, data: bytes, *args: Any) -> None:
        if sock.getpeername()[1] == receiver.port:  # Not the receiver's answers.
            writes.append(bytes(data))
        plain_sendall(sock, data, *args)

    monkeypatch.setattr(socket.socket, "sendall", sendall)
    body = b'{"event":"' + b"x" * 1000 + b'"}'
    assert sender.send(endpoint(receiver.url), "ev", body).verdict is Verdict.delivered
    assert len(writes) == 1
    assert writes[0].startswith(b"POST /hooks?key=s3cr3t+key HTTP/1.1\r\n")
    assert writes[0].endswith(b"\r\n\r\n" + body)


def test_an_answer_too_long_to_read_costs_its_connection_not_the_next_request(sender):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", str(200_000))
            self.end_headers()
            try:
                self.wfile.write(b"y" * 200_000)
            except OSError:
                pass  # The sender read enough and closed.

        def log_message(self, format, *args) -> None:
            pass

    with serving(Handler) as url:
        target = endpoint(url)
        assert sender.send(target, "ev-1", b"{}").verdict is Verdict.delivered
        assert sender.send(target, "ev-2", b"{}").verdict is Verdict.delivered


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.delivered), (201, Verdict.delivered), (204, Verdict.delivered),
        (301, Verdict.final), (400, Verdict.final), (404, Verdict.final),
        (408, Verdict.retry), (410, Verdict.gone), (429, Verdict.retry),
        (500, Verdict.retry), (502, Verdict.retry), (503, Verdict.retry),
        (504, Verdict.retry),
    ],
)
def test_verdict_of_each_answer(receiver, sender, status, verdict):
    receiver.script = lambda number: (status, {"Location": "http://elsewhere/"}, 0.0)
    outcome = sender.send(endpoint(receiver.url), "ev", b"{}")
    assert outcome.status_code == status
    assert outcome.verdict is verdict
    assert len(receiver.requests) == 1  # redirects are not followed


def test_retry_after_is_reported(receiver, sender):
    receiver.script = lambda number: (429, {"Retry-After": "30"}, 0.0)
    outcome = sender.send(endpoint(receiver.url), "ev", b"{}")
    assert outcome.retry_after == "30"


def test_timeout_is_a_retry_without_status(receiver, sender):
    receiver.script = lambda number: (200, {}, 1.0)
    outcome = sender.send(endpoint(receiver.url, timeout=0.2), "ev", b"{}")
    assert outcome.status_code is None
    assert outcome.verdict is Verdict.retry
    assert outcome.error.startswith("timeout after 0.2s")
    assert outcome.duration < 0.9


def test_refused_connection_error_names_only_the_origin(sender):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://hook-user:hook-pass@127.0.0.1:{port}/t0ken-in-path/x?sig=qu3ry"
    outcome = sender.send(endpoint(url), "ev", b"{}")
    assert outcome.verdict is Verdict.retry
    assert outcome.error == f"ConnectionError: Connection refused (http://127.0.0.1:{port})"
    for secret in ("s3cr3t", "hook-user", "hook-pass", "t0ken", "qu3ry"):
        assert secret not in outcome.error


def test_a_reason_phrase_is_stored_as_one_printable_line_without_the_api_key(sender):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(500, "Broken\x00 for s3cr3t key\x1b[31m")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args) -> None:
            pass

    with serving(Handler) as url:
        outcome = sender.send(endpoint(url), "ev", b"{}")
    assert outcome.status_code == 500
    assert outcome.error == "HTTP 500 Broken  for <api_key> [31m"


class serving:
    """A one-off HTTP server on loopback, for answers the shared receiver cannot give."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def trickling(head: bytes, body: bytes = b"") -> type[BaseHTTPRequestHandler]:
    """A handler that sends ``head`` at once and then ``body`` one byte every 0.6 s,
    or, without a body, ``head`` itself that slowly."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            slow = body or head
            try:
                if body:
                    self.wfile.write(head)
                    self.wfile.flush()
                for index in range(len(slow)):
                    self.wfile.write(slow[index:index + 1])
                    self.wfile.flush()
                    time.sleep(0.6)
            except OSError:
                pass  # The sender gave up.
            self.close_connection = True

        def log_message(self, format, *args) -> None:
            pass

    return Handler


def test_a_receiver_trickling_its_answer_cannot_hold_a_request_past_its_timeout(sender):
    # Every read gets a byte within requests' 1 s read timeout: without one deadline
    # for the whole request this took 6 s, longer than a claim lease may be.
    with serving(trickling(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) as url:
        started = time.monotonic()
        outcome = sender.send(endpoint(url, timeout=1.0), "ev", b"{}")
        took = time.monotonic() - started
    assert outcome.status_code is None
    assert outcome.verdict is Verdict.retry
    assert outcome.error == "timeout after 1s (the whole request)"
    assert 0.9 < took < 1.5
    assert 0.9 < outcome.duration < 1.5


def test_an_answer_whose_body_trickles_counts_and_is_cut_at_the_deadline(sender):
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"
    with serving(trickling(head, b"x" * 20)) as url:
        started = time.monotonic()
        outcome = sender.send(endpoint(url, timeout=1.0), "ev", b"{}")
        took = time.monotonic() - started
    assert outcome.verdict is Verdict.delivered
    assert took < 1.5


def test_the_deadline_of_a_finished_request_never_touches_the_next_one(receiver, sender):
    # Kept-alive connections outlive requests: an old deadline must not cut a new one.
    target = endpoint(receiver.url, timeout=0.3)
    assert sender.send(target, "ev-1", b"{}").verdict is Verdict.delivered
    time.sleep(0.4)
    receiver.script = lambda number: (200, {}, 0.2)
    assert sender.send(target, "ev-2", b"{}").verdict is Verdict.delivered
    assert len({request.peer for request in receiver.requests}) == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_url(certificate) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with serving(Handler, context) as url:
        yield url + "?key=hidden"


def test_an_endpoint_ca_bundle_is_trusted_for_its_certificate(sender, certificate, tls_url):
    outcome = sender.send(endpoint(tls_url, ca_bundle=certificate[0]), "ev", b"{}")
    assert outcome.verdict is Verdict.delivered


def test_without_its_ca_bundle_the_certificate_is_refused(sender, tls_url):
    outcome = sender.send(endpoint(tls_url), "ev", b"{}")
    assert outcome.verdict is Verdict.retry
    assert outcome.error.startswith("SSLError: certificate verify failed: self")
    assert outcome.error.endswith(f"({tls_url.split('/hooks')[0]})")


def test_outcome_without_answer_is_retried():
    assert Outcome(None, 0.1, "boom").verdict is Verdict.retry


def test_an_endpoint_whose_settings_change_is_sent_with_the_new_ones(
    sender, certificate, tls_url
):
    # Each endpoint's connection is made for its settings: a changed endpoint of the
    # same name (here its CA bundle) gets a connection made for the new ones.
    assert sender.send(endpoint(tls_url), "ev-1", b"{}").verdict is Verdict.retry
    trusted = endpoint(tls_url, ca_bundle=certificate[0])
    assert sender.send(trusted, "ev-2", b"{}").verdict is Verdict.delivered
    assert sender.send(endpoint(tls_url), "ev-3", b"{}").verdict is Verdict.retry
