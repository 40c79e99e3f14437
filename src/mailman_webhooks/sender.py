"""HTTP: one POST of one event body to one endpoint, and what came of it (an `Outcome`).

Only this module speaks HTTP (through ``requests``). It keeps one Session per
endpoint for keep-alive, always passes the endpoint's timeout, never follows
redirects, and never lets the api_key (part of the URL) into an error text.
"""

from __future__ import annotations

import time
from urllib.parse import quote, quote_plus

import requests
from public import public

from mailman_webhooks.retry import Outcome
from mailman_webhooks.settings import Endpoint
from mailman_webhooks.signing import signature_headers

USER_AGENT = "mailman-webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024


def _redact(text: str, endpoint: Endpoint) -> str:
    if endpoint.api_key:
        for form in {endpoint.api_key, quote_plus(endpoint.api_key), quote(endpoint.api_key)}:
            text = text.replace(form, "<api_key>")
    return text


def _error_text(error: requests.RequestException, endpoint: Endpoint) -> str:
    if isinstance(error, requests.Timeout):
        return f"timeout after {endpoint.timeout:g}s ({type(error).__name__})"
    return _redact(f"{type(error).__name__}: {error}", endpoint)[:500]


@public
class Sender:
    """POSTs event bodies, one keep-alive ``requests.Session`` per endpoint."""

    def __init__(self) -> None:
        self._sessions: dict[str, requests.Session] = {}

    def _session(self, endpoint: Endpoint) -> requests.Session:
        session = self._sessions.get(endpoint.name)
        if session is None:
            session = requests.Session()
            # Only the configured URL decides where a request goes and what it carries:
            # no proxy variables, no ~/.netrc credentials (and no lookup of them per POST).
            session.trust_env = False
            session.headers["User-Agent"] = USER_AGENT
            self._sessions[endpoint.name] = session
        return session

    def send(self, endpoint: Endpoint, message_id: str, body: bytes) -> Outcome:
        """POST ``body`` to the endpoint; never raises for network or HTTP failures."""
        headers = {"Content-Type": "application/json"}
        if endpoint.secret is not None:
            headers.update(signature_headers(endpoint.secret, message_id, int(time.time()), body))
        params = {"key": endpoint.api_key} if endpoint.api_key else None
        started = time.monotonic()
        try:
            response = self._session(endpoint).post(
                endpoint.url,
                params=params,
                data=body,
                headers=headers,
                timeout=endpoint.timeout,
                allow_redirects=False,
                stream=True,
            )
            try:
                self._drain(response)
            finally:
                response.close()
        except requests.RequestException as failure:
            return Outcome(None, time.monotonic() - started, _error_text(failure, endpoint))
        duration = time.monotonic() - started
        error = None
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code} {_redact(response.reason or '', endpoint)}"
        return Outcome(
            response.status_code,
            duration,
            error.strip() if error else None,
            response.headers.get("Retry-After"),
        )

    @staticmethod
    def _drain(response: requests.Response) -> None:
        # Reading the answer lets the connection be reused; an endless one is cut off.
        read = 0
        for chunk in response.iter_content(chunk_size=8192):
            read += len(chunk)
            if read > MAX_RESPONSE_BYTES:
                break

    def close(self) -> None:
        """Close every keep-alive connection."""
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()
