# Test that the PGP REST API answers hostile requests the OpenAPI tests found with a 4xx
# and a description, the same on SQLite and PostgreSQL: JSON bodies that are not objects,
# identifiers holding NUL, paths below the documented ones; and that OPTIONS offers only
# the documented methods.

import json

import pytest
import requests
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.subscriptions import ISubscriptionManager
from mailman.interfaces.usermanager import IUserManager
from mailman.testing.helpers import get_queue_messages
from zope.component import getUtility

from mailman_pgp.app.keys import set_address_key
from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import generate_key
from mailman_pgp.workflows.key_change import PGPKeyChangeWorkflow

pytestmark = pytest.mark.mailman

ZOE = "zoe@example.com"
NOT_AN_OBJECT = "The request body must be a JSON object (or a form)."


@pytest.fixture
def world(mailman_rest):
    """ant, a PGP list where zoe's key change waits for a moderator; bee, a plain list."""
    with transaction():
        ant = create_list("ant@example.com")
        create_list("bee@example.com")
        make_pgp_list(ant)
        ant.subscribe(getUtility(IUserManager).create_address(ZOE))
        set_address_key(ZOE, generate_key(f"Zoe <{ZOE}>").certificate.armor, confirmed=True)
    with transaction():
        workflow = PGPKeyChangeWorkflow(ant, ZOE, generate_key(f"Zoe <{ZOE}>").certificate)
        list(workflow)
        token, _, _ = ISubscriptionManager(ant).resume(workflow.token)
    get_queue_messages("virgin")
    config.db.commit()
    return token


def request(rest_url, method: str, path: str, **kws) -> requests.Response:
    config.db.commit()
    try:
        return requests.request(
            method, rest_url(f"3.1/plugins/pgp/{path}"), timeout=30,
            auth=(config.webservice.admin_user, config.webservice.admin_pass), **kws)
    finally:
        config.db.abort()


def refusal(response: requests.Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code, response.json()["description"]


@pytest.mark.parametrize("body", [[None, None], ["list_id"], "ant.example.com", 7, True, None,
                                  [], 0, False])
@pytest.mark.parametrize(("method", "path"), [
    ("POST", "lists"),
    ("PATCH", "lists/ant.example.com"),
    ("POST", "lists/ant.example.com/key-changes/{token}"),
    ("PUT", f"addresses/{ZOE}/key"),
], ids=["make-pgp-list", "patch-list", "decide-key-change", "set-key"])
def test_a_json_body_that_is_not_an_object_is_a_bad_request(rest_url, world, method, path,
                                                            body):
    # Mailman's Validator calls .items() on it: a 500 for an array, a string or a number,
    # an empty object for null, [], 0 or false.
    response = request(rest_url, method, path.format(token=world), data=json.dumps(body),
                       headers={"Content-Type": "application/json"})
    assert refusal(response) == (400, NOT_AN_OBJECT)
    assert getUtility(IPGPListManager).get("bee.example.com") is None
    assert getUtility(IPGPAddressKeyManager).get(ZOE) is not None


@pytest.mark.parametrize(("method", "path", "kws", "expected"), [
    ("GET", "lists/nul%00.example.com", {}, (404, "No mailing list nul\0.example.com.")),
    ("PATCH", "lists/nul%00.example.com", {"json": {}},
     (404, "No mailing list nul\0.example.com.")),
    ("GET", "lists/nul%00.example.com/key", {}, (404, "No mailing list nul\0.example.com.")),
    ("GET", "lists/nul%00.example.com/key-changes", {},
     (404, "No mailing list nul\0.example.com.")),
    ("GET", "lists/ant.example.com/key-changes/nul%00", {},
     (404, "No key change on ant.example.com waits for approval under nul\0.")),
    ("POST", "lists/ant.example.com/key-changes/nul%00", {"json": {"action": "reject"}},
     (404, "No key change on ant.example.com waits for approval under nul\0.")),
    ("POST", "lists", {"json": {"list_id": "nul\0.example.com"}},
     (404, "No mailing list nul\0.example.com.")),
    ("GET", "addresses/nul%00@example.com/key", {},
     (404, "No key is registered for nul\0@example.com.")),
    ("DELETE", "addresses/nul%00@example.com/key", {},
     (404, "No key is registered for nul\0@example.com.")),
    ("PUT", "addresses/nul%00@example.com/key", {"json": {"public_key": "x"}},
     (400, "'nul\\x00@example.com' is not a valid email address.")),
], ids=lambda value: value if isinstance(value, str) else None)
def test_an_identifier_with_nul_is_unknown_on_every_database(rest_url, world, method, path,
                                                             kws, expected):
    # PostgreSQL cannot look up a string holding NUL: psycopg2's ValueError would be
    # answered 400 "A string literal cannot contain NUL (0x00) characters.".
    assert refusal(request(rest_url, method, path, **kws)) == expected


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "lists/ant.example.com/key/more"),
    ("GET", "lists/ant.example.com/key/"),
    ("GET", "lists/ant.example.com/key-changes/{token}/more"),
    ("POST", "lists/bee.example.com/key-changes/{token}/more"),
    ("GET", "lists/nothing.example.com/key-changes/{token}/more"),
])
def test_nothing_answers_below_the_documented_paths(rest_url, world, method, path):
    # The key resource took any segments after it; a list that was not a PGP list answered
    # every path below its key-changes.
    response = request(rest_url, method, path.format(token=world))
    assert response.status_code == 404


@pytest.mark.parametrize(("path", "allowed"), [
    ("lists/bee.example.com/key-changes", "GET"),
    ("lists/ant.example.com/key-changes", "GET"),
    ("lists/bee.example.com/key-changes/{token}", "GET, POST"),
    ("lists/ant.example.com/key-changes/{token}", "GET, POST"),
])
def test_options_offers_the_documented_methods(rest_url, world, path, allowed):
    response = request(rest_url, "OPTIONS", path.format(token=world))
    assert set(response.headers["allow"].split(", ")) - {"OPTIONS"} == set(allowed.split(", "))
