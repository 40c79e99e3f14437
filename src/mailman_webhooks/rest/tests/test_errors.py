# Test that every refusal of the webhooks REST API has the body of Mailman's own errors
# (bad_request, not_found, conflict): the status as title and the reason as description.

from __future__ import annotations

import pytest

from mailman_webhooks.rest.tests.helpers import api, api_error_body

pytestmark = pytest.mark.mailman

TITLES = {400: "400 Bad Request", 404: "404 Not Found", 409: "409 Conflict"}


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("GET", "endpoints?count=x&page=1", None, 400),
        ("GET", "endpoints?count=1", None, 400),
        ("GET", "deliveries?count=1&page=x", None, 400),
        ("GET", "deliveries?status=sent", None, 400),
        ("PATCH", "endpoints/alpha", {"disabled": "maybe"}, 400),
        ("GET", "endpoints/gamma", None, 404),
        ("POST", "endpoints/gamma/ping", {}, 404),
        ("GET", "deliveries/999999", None, 404),
        ("POST", "deliveries/999999/redeliver", {}, 404),
        ("POST", "endpoints/beta/ping", {}, 409),
    ],
    ids=["endpoints-paging", "endpoints-count-alone", "deliveries-paging", "filter", "patch",
         "endpoint", "ping", "delivery", "redeliver", "ping-disabled"],
)
def test_every_refusal_is_a_mailman_error_body(rest_url, method, path, body, code):
    if code == 409:
        api(rest_url, "endpoints/beta", method="PATCH", json={"disabled": True})
    status, content = api_error_body(rest_url, path, method=method, json=body)
    assert status == code
    assert content["title"] == TITLES[code]
    assert content["description"]
