"""Calling the REST server subprocess from a test (not a test module)."""

from __future__ import annotations

from typing import cast
from urllib.error import HTTPError

import pytest
import requests
from mailman.config import config
from mailman.testing.helpers import call_api

from mailman_webhooks.tests.conftest import FAST_DELIVERY

# The endpoints of endpoints.cfg, as tests/testing.cfg gives them to every process.
ALPHA_API_KEY = "alpha-api-key-never-shown"
ALPHA_SECRET = "whsec_cmVzdC10ZXN0cy1hbHBoYS1zZWNyZXQtMzItYnl0ZXM="
BASE = "3.1/plugins/webhooks/"


def api(rest_url, path: str, **kws):
    """``call_api`` on a plugin path, with this process's transaction out of the way.

    SQLite lets the REST server write only while no other connection reads, and this
    process must see what the server committed: commit before, fresh snapshot after.
    """
    config.db.commit()
    try:
        return call_api(rest_url(BASE + path), **kws)
    finally:
        config.db.abort()


def api_error(rest_url, path: str, **kws) -> tuple[int, str]:
    """The status code and JSON ``description`` of a request that must fail."""
    with pytest.raises(HTTPError) as caught:
        api(rest_url, path, **kws)
    return caught.value.code, caught.value.reason


def api_error_body(rest_url, path: str, **kws) -> tuple[int, dict]:
    """The status code and JSON body of a request that must fail."""
    with pytest.raises(HTTPError) as caught:
        api(rest_url, path, **kws)
    # Mailman's call_api puts the requests Response where urllib puts the headers.
    response = cast(requests.Response, caught.value.hdrs)
    return caught.value.code, response.json()


def local(name: str, url: str, events: str = "Domain.*") -> str:
    """An overlay for this process only: endpoint ``name`` sends to ``url``."""
    return FAST_DELIVERY + f"[endpoint.{name}]\nurl: {url}\nevents: {events}\ntimeout: 2s\n"
