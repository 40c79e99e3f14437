# Test that the webhooks REST API answers hostile requests the OpenAPI tests found with a
# 4xx and a description, the same on SQLite and PostgreSQL: a JSON body that is not an
# object, an endpoint filter holding NUL, paths below the documented ones.

from __future__ import annotations

import json

import pytest

from mailman_webhooks.rest.tests.helpers import api, api_error, api_error_body

pytestmark = pytest.mark.mailman


@pytest.mark.parametrize("body", [[False], ["disabled"], "false", 0, None, [], False],
                         ids=["array", "names", "string", "zero", "null", "empty", "false"])
def test_a_json_body_that_is_not_an_object_is_a_bad_request(rest_url, body):
    # Mailman's Validator calls .items() on it: a 500 for an array, a string or a number;
    # null, [], 0 and false it takes for an empty object.
    status, content = api_error_body(rest_url, "endpoints/alpha", method="PATCH",
                                     data=json.dumps(body),
                                     headers={"Content-Type": "application/json"})
    assert (status, content["description"]) == (
        400, "The request body must be a JSON object (or a form).")


def test_an_endpoint_filter_with_nul_is_unknown_on_every_database(rest_url):
    # PostgreSQL cannot look up a string holding NUL: psycopg2's ValueError would be
    # answered 400 "A string literal cannot contain NUL (0x00) characters.".
    assert api_error(rest_url, "deliveries?endpoint=nul%00") == (400, "Unknown endpoint: nul\0")


@pytest.mark.parametrize("path", ["endpoints/alpha/ping/more", "endpoints/alpha/ping/",
                                  "deliveries/{id}/redeliver/more"])
def test_nothing_answers_below_the_documented_paths(rest_url, path):
    # ping and redeliver took any segments after them.
    ping, _ = api(rest_url, "endpoints/alpha/ping", method="POST")
    assert api_error(rest_url, path.format(id=ping["delivery_id"]), method="POST")[0] == 404
    content, _ = api(rest_url, "deliveries")
    assert content["total_size"] == 1
    assert content["entries"][0]["attempt_count"] == 0
