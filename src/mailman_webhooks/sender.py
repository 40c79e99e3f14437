"""HTTP: one POST of one event body to one endpoint, and what came of it (an `Outcome`).

Only this module speaks HTTP (through ``requests``). Every endpoint's requests go
through one bounded pool of keep-alive connections, shared by the runner's threads.
Each request has one deadline, the endpoint's timeout, for everything it does:
connecting, the TLS handshake, sending, and reading the answer; ``requests`` itself
only bounds each phase, so a receiver trickling its answer could hold a request for
ever. Redirects are never followed, certificates always checked (against the
endpoint's ``ca_bundle`` when it has one), and an error text names the receiver by
its origin only (``scheme://host:port``): never its path, query, user or api_key.
"""

from __future__ import annotations

import heapq
import itertools
import re
import socket
import ssl
import threading
import time
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import requests
from public import public
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.response import HTTPResponse

from mailman_webhooks.retry import Outcome
from mailman_webhooks.settings import Endpoint
from mailman_webhooks.signing import signature_headers

USER_AGENT = "mailman-webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024
MAX_ERROR_CHARS = 500
# Receivers (scheme, host, port) whose idle connections the shared pool keeps.
POOL_HOSTS = 32
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


class _Deadline:
    """One request's deadline, and the sockets it uses, shut down when it passes.

    The watchdog thread calls `expire`; the requesting thread calls `attach` for each
    socket the request uses and `finish` when it is over. A socket shut down (never
    closed, which could hand its number to another socket) wakes any thread blocked
    reading it, whatever ``requests`` or ``ssl`` was waiting for.
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
    """A connection whose socket the current request's deadline can shut down."""

    def _new_conn(self) -> socket.socket:
        # Attached before the TLS handshake and the request: both are covered.
        sock = super()._new_conn()
        _attach(sock)
        return sock

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # as urllib3's own
        # A kept-alive connection made no new socket for this request.
        if self.sock is not None:
            _attach(self.sock)
        return super().getresponse()


class _GuardedHTTPSConnection(_GuardedHTTPConnection, HTTPSConnection):
    """`_GuardedHTTPConnection` over TLS."""


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """requests' adapter over pools of `_GuardedHTTPConnection`."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


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

    Never the text of ``requests``' or urllib3's own exceptions: those quote the URL.
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
        if isinstance(cause, MaxRetryError):
            following = cause.reason
        elif following is None:
            following = next((a for a in cause.args if isinstance(a, BaseException)), None)
        cause = following
    return reason


def _error_text(error: requests.RequestException, endpoint: Endpoint, expired: bool) -> str:
    if expired:
        return f"timeout after {endpoint.timeout:g}s (the whole request)"
    if isinstance(error, requests.Timeout):
        return f"timeout after {endpoint.timeout:g}s ({type(error).__name__})"
    reason = _reason(error)
    return _clean(f"{type(error).__name__}: {reason} ({_origin(endpoint.url)})", endpoint)


@public
class Sender:
    """POSTs event bodies; safe to use from several threads, one per endpoint at a time.

    ``connections`` bounds the idle connections kept per receiver host; it should be
    the number of threads that send at once.
    """

    def __init__(self, connections: int = 10) -> None:
        self._adapter = _GuardedAdapter(
            pool_connections=POOL_HOSTS, pool_maxsize=connections, max_retries=0
        )
        self._sessions: dict[str, requests.Session] = {}
        self._lock = threading.Lock()
        self._watchdog = _Watchdog()

    def _session(self, endpoint: Endpoint) -> requests.Session:
        # A session per endpoint (cookies and settings never cross endpoints), all
        # over the one shared adapter, whose pools are safe to share between threads.
        with self._lock:
            session = self._sessions.get(endpoint.name)
            if session is None:
                session = requests.Session()
                # Only the configured URL decides where a request goes and what it
                # carries: no proxy variables, no ~/.netrc credentials.
                session.trust_env = False
                session.headers["User-Agent"] = USER_AGENT
                session.mount("http://", self._adapter)
                session.mount("https://", self._adapter)
                self._sessions[endpoint.name] = session
        return session

    def send(self, endpoint: Endpoint, message_id: str, body: bytes) -> Outcome:
        """POST ``body`` to the endpoint; never raises for network or HTTP failures."""
        headers = {"Content-Type": "application/json"}
        if endpoint.secret is not None:
            headers.update(
                signature_headers(endpoint.signing_secrets, message_id, int(time.time()), body)
            )
        params = {"key": endpoint.api_key} if endpoint.api_key else None
        verify: str | bool = True if endpoint.ca_bundle is None else str(endpoint.ca_bundle)
        session = self._session(endpoint)
        started = time.monotonic()
        deadline = _Deadline(started + endpoint.timeout)
        _current.deadline = deadline
        self._watchdog.watch(deadline)
        try:
            response = session.post(
                endpoint.url,
                params=params,
                data=body,
                headers=headers,
                timeout=endpoint.timeout,
                allow_redirects=False,
                stream=True,
                verify=verify,
            )
            try:
                self._drain(response)
            finally:
                response.close()
        except requests.RequestException as failure:
            duration = time.monotonic() - started
            return Outcome(None, duration, _error_text(failure, endpoint, deadline.expired))
        finally:
            deadline.finish()
            _current.deadline = None
        duration = time.monotonic() - started
        error = None
        if not 200 <= response.status_code < 300:
            error = _clean(f"HTTP {response.status_code} {response.reason or ''}", endpoint)
        return Outcome(
            response.status_code,
            duration,
            error,
            response.headers.get("Retry-After"),
        )

    @staticmethod
    def _drain(response: requests.Response) -> None:
        # Reading the answer lets the connection be reused; an endless one is cut off.
        # The status is the receiver's answer: a body cut short (by the deadline, or
        # the receiver closing) changes nothing about it.
        read = 0
        try:
            for chunk in response.iter_content(chunk_size=8192):
                read += len(chunk)
                if read > MAX_RESPONSE_BYTES:
                    break
        except (requests.RequestException, OSError):
            pass

    def close(self) -> None:
        """Close every keep-alive connection and stop the deadline thread."""
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()
        self._adapter.close()
        self._watchdog.stop()
