"""What the app's tests do to Mailman directly, over its REST (as an administrator would)."""

from __future__ import annotations

import requests
from django.conf import settings


def plugin(method: str, path: str, **kwargs):
    """A request to the PGP plugin's REST of this test's Mailman, as its administrator."""
    return requests.request(
        method, f"{settings.MAILMAN_REST_API_URL}/3.1/plugins/pgp/{path}",
        auth=(settings.MAILMAN_REST_API_USER, settings.MAILMAN_REST_API_PASS), timeout=30,
        **kwargs)


def set_confirmed_key(email: str, armor: str) -> None:
    response = plugin("PUT", f"addresses/{email}/key", json={"public_key": armor})
    assert response.status_code in (201, 204), response.text


def make_pgp_list(list_id: str) -> None:
    response = plugin("POST", "lists", json={"list_id": list_id})
    assert response.status_code == 201, response.text
