# Test that a key sent through REST (the web app's upload) is never in force by itself: it
# starts the proof by email (a challenge encrypted to it), for a request to join or as a
# key change, and what waits for an address is listed.

from __future__ import annotations

from urllib.error import HTTPError

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.subscriptions import ISubscriptionManager
from mailman.interfaces.usermanager import IUserManager
from mailman.testing.helpers import call_api, get_queue_messages
from zope.component import getUtility

from mailman_pgp.app.keys import set_address_key
from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.openpgp import generate_key

ZOE = "zoe@example.com"
LIST_ID = "ant.example.com"


@pytest.fixture
def ant(mailman_rest):
    with transaction():
        mlist = create_list("ant@example.com")
        make_pgp_list(mlist)
    return mlist


def proofs_url(rest_url, email: str = ZOE) -> str:
    return rest_url(f"3.1/plugins/pgp/addresses/{email}/key-proofs")


def api_error(url: str, **kws) -> tuple[int, str]:
    with pytest.raises(HTTPError) as caught:
        call_api(url, **kws)
    return caught.value.code, caught.value.reason


def challenges() -> list:
    return [item for item in get_queue_messages("virgin")
            if item.msg["subject"] == "key confirm"]


def test_a_key_for_a_request_to_join_is_stored_unconfirmed_and_challenged(rest_url, ant):
    with transaction():
        address = getUtility(IUserManager).create_address(ZOE)
        token, _, _ = ISubscriptionManager(ant).register(address)
    get_queue_messages("virgin")
    content, _ = call_api(proofs_url(rest_url))
    assert [(each["list_id"], each["waiting_for"], each["fingerprint"])
            for each in content["entries"]] == [(LIST_ID, "key", None)]
    key = generate_key(f"Zoe <{ZOE}>").certificate

    content, response = call_api(proofs_url(rest_url), method="POST",
                                 json={"list_id": LIST_ID, "public_key": key.armor})

    assert response.status_code == 202
    assert (content["kind"], content["waiting_for"], content["fingerprint"]) == (
        "subscription", "proof", key.fingerprint)
    config.db.abort()
    stored = getUtility(IPGPAddressKeyManager).get(ZOE)
    assert (stored.fingerprint, stored.confirmed) == (key.fingerprint, False)
    [challenge] = challenges()
    assert challenge.msgdata["recipients"] == {ZOE}
    listed, _ = call_api(proofs_url(rest_url))
    assert [(each["kind"], each["waiting_for"], each["fingerprint"])
            for each in listed["entries"]] == [("subscription", "proof", key.fingerprint)]


def test_a_new_key_of_a_member_is_a_key_change_and_the_old_key_stays(rest_url, ant):
    old = generate_key(f"Zoe <{ZOE}>").certificate
    with transaction():
        ant.subscribe(getUtility(IUserManager).create_address(ZOE))
        set_address_key(ZOE, old.armor, confirmed=True)
    new = generate_key(f"Zoe (new) <{ZOE}>").certificate

    content, response = call_api(proofs_url(rest_url), method="POST",
                                 json={"list_id": LIST_ID, "public_key": new.armor})

    assert response.status_code == 202
    assert (content["kind"], content["fingerprint"]) == ("key-change", new.fingerprint)
    config.db.abort()
    stored = getUtility(IPGPAddressKeyManager).get(ZOE)
    assert (stored.fingerprint, stored.confirmed) == (old.fingerprint, True)
    assert len(challenges()) == 1
    listed, _ = call_api(proofs_url(rest_url))
    assert [(each["kind"], each["waiting_for"]) for each in listed["entries"]] == [
        ("key-change", "proof")]


def test_an_address_with_nothing_on_the_list_is_a_conflict(rest_url, ant):
    key = generate_key(f"Zoe <{ZOE}>").certificate
    code, reason = api_error(proofs_url(rest_url), method="POST",
                             json={"list_id": LIST_ID, "public_key": key.armor})
    assert code == 409
    assert "ask to join the list first" in reason
    config.db.abort()
    assert getUtility(IPGPAddressKeyManager).get(ZOE) is None
    assert challenges() == []


@pytest.mark.parametrize(("body", "status", "reason"), [
    ({"list_id": LIST_ID}, 400, "Missing Parameter: public_key"),
    ({"list_id": LIST_ID, "public_key": "not a key"}, 400, "not a readable OpenPGP"),
    ({"list_id": "bee.example.com", "public_key": "x"}, 404, "No mailing list bee"),
])
def test_bad_requests_say_why(rest_url, ant, body, status, reason):
    with transaction():
        ISubscriptionManager(ant).register(getUtility(IUserManager).create_address(ZOE))
    get_queue_messages("virgin")
    code, text = api_error(proofs_url(rest_url), method="POST", json=body)
    assert (code, reason in text) == (status, True), text


def test_a_list_that_is_not_pgp_takes_no_key(rest_url, ant):
    with transaction():
        create_list("bee@example.com")
    code, reason = api_error(proofs_url(rest_url), method="POST",
                             json={"list_id": "bee.example.com", "public_key": "x"})
    assert (code, reason) == (404, "bee.example.com is not a PGP list.")


def test_not_an_address(rest_url, ant):
    code, _ = api_error(proofs_url(rest_url, "nobody"))
    assert code == 400
