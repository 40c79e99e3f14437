"""HTTP: one POST of one event body to one endpoint, and what came of it (an `Outcome`).

Only this module speaks HTTP, through ``urllib3`` directly: ``requests`` on top of it
cost three times the CPU per request, which the delivery rate is bound by. Each
endpoint has its own keep-alive connection (a pool of one, as its lane sends one
request at a time). Each request has one deadline, the endpoint's timeout, for
everything it does: connecting, the TLS handshake, sending, and reading the answer;
urllib3 itself only bounds each phase, so a receiver trickling its answer could hold a
request for ever. Redirects are never followed, certificates always checked (against
the endpoint's ``ca_bundle``, or else certifi's authorities), and an error text names
the receiver by its origin only (``scheme://host:port``): never its path, query, user
or api_key.
"""

from __future__ import annotations

import heapq
import itertools
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlencode, urlsplit

import certifi
from public import public
from urllib3 import Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util import make_headers

from mailman_webhooks.retry import Outcome
from mailman_webhooks.settings import Endpoint
from mailman_webhooks.signing import signature_headers

USER_AGENT = "mailman-webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024
MAX_ERROR_CHARS = 500
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


class _Deadline:
    """One request's deadline, and the sockets it uses, shut down when it passes.

    The watchdog thread calls `expire`; the requesting thread calls `attach` for each
    socket the request uses and `finish` when it is over. A socket shut down (never
    closed, which could hand its number to another socket) wakes any thread blocked
    reading it, whatever ``http.client`` or ``ssl`` was waiting for.
    """

    def __init__(self, at: float) -> None:
        self.at = at
        self.expired = False
        self.finished = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut_down(sock)

    def expire(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.expired = True
            for sock in self._sockets:
                _shut_down(sock)

    def finish(self) -> None:
        with self._lock:
            self.finished = True
            self._sockets.clear()


def _shut_down(sock: socket.socket) -> None:
    # The plain socket's method even for an SSLSocket: SSLSocket.shutdown also drops
    # the TLS state under the feet of the thread that is reading.
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # Already closed.


class _Watchdog:
    """A thread that expires each `_Deadline` when its time comes."""

    def __init__(self) -> None:
        self._wakeup = threading.Condition()
        self._due: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def watch(self, deadline: _Deadline) -> None:
        with self._wakeup:
            if self._thread is None:
                self._stopped = False
                self._thread = threading.Thread(
                    target=self._run, name="webhooks-deadlines", daemon=True
                )
                self._thread.start()
            heapq.heappush(self._due, (deadline.at, next(self._order), deadline))
            if self._due[0][2] is deadline:
                self._wakeup.notify()

    def _run(self) -> None:
        with self._wakeup:
            while not self._stopped:
                now = time.monotonic()
                while self._due and (self._due[0][0] <= now or self._due[0][2].finished):
                    heapq.heappop(self._due)[2].expire()
                self._wakeup.wait(self._due[0][0] - now if self._due else None)

    def stop(self) -> None:
        with self._wakeup:
            thread, self._thread = self._thread, None
            self._stopped = True
            self._due.clear()
            self._wakeup.notify()
        if thread is not None:
            thread.join()


# The deadline of the request the current thread is making, if any.
_current = threading.local()


def _attach(sock: socket.socket) -> None:
    deadline: _Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.attach(sock)


class _GuardedHTTPConnection(HTTPConnection):
    """A connection whose socket the current request's deadline can shut down, and
    that sends a request's head and body in one write."""

    # What `request` has written so far, sent when it is done.
    _unsent: list[bytes] | None = None

    def _new_conn(self) -> socket.socket:
        # Attached before the TLS handshake and the request: both are covered.
        sock = super()._new_conn()
        _attach(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        # A kept-alive connection makes no new socket for this request.
        if self.sock is not None:
            _attach(self.sock)
        # urllib3 writes the head, then the body: two system calls, and two waits for
        # the GIL, where one does.
        self._unsent = []
        try:
            super().request(*args, **kwargs)
            whole = b"".join(self._unsent)
        finally:
            self._unsent = None
        try:
            self.send(whole)
        except BrokenPipeError:
            pass  # As urllib3 does: the receiver may have answered and closed early.

    def send(self, data: Any) -> None:
        if self._unsent is not None and isinstance(data, bytes):
            self._unsent.append(data)
        else:
            super().send(data)


class _GuardedHTTPSConnection(_GuardedHTTPConnection, HTTPSConnection):
    """`_GuardedHTTPConnection` over TLS."""


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


@dataclass(frozen=True)
class _Route:
    """What every request to one endpoint shares: its connection and the fixed parts."""

    endpoint: Endpoint
    pool: HTTPConnectionPool
    # The request target: the URL's path and query, and the api_key as ``key``.
    target: str
    headers: dict[str, str]
    timeout: Timeout

    @classmethod
    def of(cls, endpoint: Endpoint) -> _Route:
        parts = urlsplit(endpoint.url)
        host = parts.hostname or ""
        # Each phase is bounded too, should the deadline's watchdog be late.
        timeout = Timeout(connect=endpoint.timeout, read=endpoint.timeout)
        # A lane sends to its endpoint one request at a time: one connection is kept.
        pool: HTTPConnectionPool
        if parts.scheme == "https":
            # The system's OpenSSL settings, and certifi's authorities as requests
            # used; never without a check.
            context = ssl.create_default_context(
                cafile=str(endpoint.ca_bundle or certifi.where())
            )
            pool = _GuardedHTTPSPool(
                host, parts.port, timeout=timeout, maxsize=1, retries=False,
                cert_reqs="CERT_REQUIRED", ssl_context=context,
            )
        else:
            pool = _GuardedHTTPPool(host, parts.port, timeout=timeout, maxsize=1, retries=False)
        query = parts.query
        if endpoint.api_key:
            query = (query + "&" if query else "") + urlencode({"key": endpoint.api_key})
        target = (parts.path or "/") + ("?" + query if query else "")
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
        if parts.username is not None:
            # As requests did: user info in the URL is sent as basic authentication.
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers.update(make_headers(basic_auth=credentials))
        return cls(endpoint, pool, target, headers, timeout)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: what an error text may say about it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def _clean(text: str, endpoint: Endpoint) -> str:
    """One printable line, without the api_key, short enough to store."""
    if endpoint.api_key:
        for form in {endpoint.api_key, quote_plus(endpoint.api_key), quote(endpoint.api_key)}:
            text = text.replace(form, "<api_key>")
    return _UNPRINTABLE.sub(" ", text).strip()[:MAX_ERROR_CHARS]


def _reason(error: BaseException) -> str:
    """What went wrong, from the innermost cause: an OS or TLS reason, or a class name.

    Never the text of urllib3's own exceptions: those quote the host, or the URL.
    """
    reason = ""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {cause.verify_message}"
        if isinstance(cause, OSError) and cause.strerror:
            reason = cause.strerror
        elif not reason:
            reason = type(cause).__name__
        following = cause.__cause__ or cause.__context__
        if following is None:
            following = next((a for a in cause.args if isinstance(a, BaseException)), None)
        cause = following
    return reason


def _error_text(error: HTTPError | OSError, endpoint: Endpoint, expired: bool) -> str:
    """The stored text of a request that got no answer, in the terms requests used."""
    if expired:
        return f"timeout after {endpoint.timeout:g}s (the whole request)"
    if isinstance(error, ReadTimeoutError):
        return f"timeout after {endpoint.timeout:g}s (ReadTimeout)"
    # NewConnectionError is a ConnectTimeoutError in urllib3, but a refusal, not a timeout.
    if isinstance(error, ConnectTimeoutError) and not isinstance(error, NewConnectionError):
        return f"timeout after {endpoint.timeout:g}s (ConnectTimeout)"
    kind = "SSLError" if isinstance(error, SSLError) else "ConnectionError"
    return _clean(f"{kind}: {_reason(error)} ({_origin(endpoint.url)})", endpoint)


@public
class Sender:
    """POSTs event bodies; safe to use from several threads, one per endpoint at a time."""

    def __init__(self) -> None:
        # The route of each endpoint, by name; replaced when its settings change.
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._watchdog = _Watchdog()

    def _route(self, endpoint: Endpoint) -> _Route:
        route = self._routes.get(endpoint.name)
        if route is not None and (route.endpoint is endpoint or route.endpoint == endpoint):
            return route
        with self._lock:
            route = self._routes.get(endpoint.name)
            if route is None or route.endpoint != endpoint:
                if route is not None:
                    route.pool.close()
                route = self._routes[endpoint.name] = _Route.of(endpoint)
        return route

    def send(self, endpoint: Endpoint, message_id: str, body: bytes) -> Outcome:
        """POST ``body`` to the endpoint; never raises for network or HTTP failures."""
        route = self._route(endpoint)
        headers = route.headers
        if endpoint.secret is not None:
            headers = headers | signature_headers(
                endpoint.signing_secrets, message_id, int(time.time()), body
            )
        started = time.monotonic()
        deadline = _Deadline(started + endpoint.timeout)
        _current.deadline = deadline
        self._watchdog.watch(deadline)
        try:
            try:
                response = route.pool.urlopen(
                    "POST",
                    route.target,
                    body=body,
                    headers=headers,
                    retries=False,
                    redirect=False,
                    timeout=route.timeout,
                    preload_content=False,
                    release_conn=False,
                )
                complete = self._drain(response)
            finally:
                deadline.finish()
                _current.deadline = None
        except (HTTPError, OSError) as failure:
            duration = time.monotonic() - started
            return Outcome(None, duration, _error_text(failure, endpoint, deadline.expired))
        # A connection the deadline shut down, or with an answer left unread, is closed;
        # any other is kept for the next request (the deadline, finished, is forgotten).
        if deadline.expired or not complete:
            response.close()
        response.release_conn()
        duration = time.monotonic() - started
        error = None
        if not 200 <= response.status < 300:
            error = _clean(f"HTTP {response.status} {response.reason or ''}", endpoint)
        return Outcome(response.status, duration, error, response.headers.get("Retry-After"))

    @staticmethod
    def _drain(response: BaseHTTPResponse) -> bool:
        """Read the answer, up to MAX_RESPONSE_BYTES; return whether it was read whole.

        The status is the receiver's answer: a body cut short (by the deadline, the
        size limit, or the receiver closing) changes nothing about it.
        """
        try:
            # One call: read(amount) returns at the end of the body, or with ``amount``.
            return len(response.read(MAX_RESPONSE_BYTES + 1, decode_content=False)) <= (
                MAX_RESPONSE_BYTES
            )
        except (HTTPError, OSError):
            return False

    def close(self) -> None:
        """Close every keep-alive connection and stop the deadline thread."""
        with self._lock:
            for route in self._routes.values():
                route.pool.close()
            self._routes.clear()
        self._watchdog.stop()
