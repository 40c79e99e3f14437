# Test that moderators list, show, approve and reject through REST the key changes that wait
# for them, and only those; and that a PGP list shows and takes who may certify its key.

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
from mailman_pgp.interfaces.lists import IPGPListManager, KeySigners
from mailman_pgp.openpgp import generate_key
from mailman_pgp.workflows.key_change import PGPKeyChangeWorkflow

ZOE = "zoe@example.com"
LIST_ID = "ant.example.com"


@pytest.fixture
def ant(mailman_rest):
    with transaction():
        mlist = create_list("ant@example.com")
        make_pgp_list(mlist)
        mlist.subscribe(getUtility(IUserManager).create_address(ZOE))
        set_address_key(ZOE, generate_key(f"Zoe <{ZOE}>").certificate.armor, confirmed=True)
    return mlist


def api_error(url: str, **kws) -> tuple[int, str]:
    with pytest.raises(HTTPError) as caught:
        call_api(url, **kws)
    return caught.value.code, caught.value.reason


def key_change(mlist, *, proved: bool = True):
    """A key change of zoe's, unsigned: its token (the moderator's once proved) and key."""
    new = generate_key(f"Zoe (new) <{ZOE}>").certificate
    with transaction():
        workflow = PGPKeyChangeWorkflow(mlist, ZOE, new)
        list(workflow)
        token = workflow.token
        if proved:
            token, _, _ = ISubscriptionManager(mlist).resume(token)
    get_queue_messages("virgin")
    return token, new.fingerprint


def changes_url(rest_url, *rest: str) -> str:
    return rest_url("/".join(["3.1/plugins/pgp/lists", LIST_ID, "key-changes", *rest]))


def held() -> str:
    config.db.abort()
    return getUtility(IPGPAddressKeyManager).get(ZOE).fingerprint


def test_the_changes_waiting_for_a_moderator_are_listed(rest_url, ant):
    current = held()
    key_change(ant, proved=False)
    token, fingerprint = key_change(ant)
    content, response = call_api(changes_url(rest_url))
    assert (content["start"], content["total_size"]) == (0, 1)
    [entry] = content["entries"]
    assert entry["token"] == token
    assert (entry["list_id"], entry["email"], entry["fingerprint"]) == (LIST_ID, ZOE,
                                                                        fingerprint)
    assert entry["current_fingerprint"] == current
    assert entry["public_key"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE" not in response.text
    assert entry["waiting_since"]
    assert entry["self_link"] == changes_url(rest_url, token)
    one, _ = call_api(entry["self_link"])
    assert {key: value for key, value in one.items() if key != "http_etag"} == {
        key: value for key, value in entry.items() if key != "http_etag"}


def test_accept_puts_the_new_key_in_force(rest_url, ant):
    token, fingerprint = key_change(ant)
    content, response = call_api(changes_url(rest_url, token), data={"action": "accept"})
    assert response.status_code == 204
    assert held() == fingerprint
    content, _ = call_api(changes_url(rest_url))
    assert content["total_size"] == 0
    assert api_error(changes_url(rest_url, token)) == (
        404, f"No key change on {LIST_ID} waits for approval under {token}.")


def test_reject_keeps_the_current_key_and_mails_the_reason(rest_url, ant):
    current = held()
    token, _ = key_change(ant)
    content, response = call_api(changes_url(rest_url, token),
                                 json={"action": "reject", "reason": "Call us first."})
    assert response.status_code == 204
    assert held() == current
    [notice] = get_queue_messages("virgin")
    assert "Call us first." in notice.msg.get_payload()
    assert notice.msgdata["recipients"] == {ZOE}


def test_a_change_waiting_for_the_persons_proof_is_not_a_moderators(rest_url, ant):
    current = held()
    token, _ = key_change(ant, proved=False)
    message = f"No key change on {LIST_ID} waits for approval under {token}."
    assert api_error(changes_url(rest_url, token)) == (404, message)
    assert api_error(changes_url(rest_url, token), data={"action": "accept"}) == (404, message)
    assert held() == current


@pytest.mark.parametrize(("body", "reason"), [
    ({"action": "approve"}, 'Invalid Parameter "action": Accepted Values are: accept, reject.'),
    ({}, "Missing Parameter: action"),
    ({"action": "accept", "note": "x"}, "Unexpected parameters: note"),
], ids=["unknown-action", "no-action", "unexpected"])
def test_a_bad_decision_is_a_bad_request(rest_url, ant, body, reason):
    token, _ = key_change(ant)
    assert api_error(changes_url(rest_url, token), method="POST", json=body) == (400, reason)


def test_paging_mistakes_and_lists_that_are_not_pgp(rest_url, ant):
    assert api_error(changes_url(rest_url) + "?count=1") == (
        400, "count and page go together")
    with transaction():
        create_list("bee@example.com")
    assert api_error(rest_url("3.1/plugins/pgp/lists/bee.example.com/key-changes")) == (
        404, "bee.example.com is not a PGP list.")
    assert api_error(rest_url("3.1/plugins/pgp/lists/cat.example.com/key-changes/x")) == (
        404, "No mailing list cat.example.com.")


def test_a_list_shows_and_takes_who_may_certify_its_key(rest_url, ant):
    url = rest_url(f"3.1/plugins/pgp/lists/{LIST_ID}")
    content, _ = call_api(url)
    assert content["key_signers"] == "administrators"
    assert content["key_changes_link"] == changes_url(rest_url)
    for value in ("members", "nobody", "administrators"):
        content, response = call_api(url, method="PATCH", json={"key_signers": value})
        assert response.status_code == 204
        config.db.abort()
        assert getUtility(IPGPListManager).get(LIST_ID).key_signers is KeySigners(value)
        assert call_api(url)[0]["key_signers"] == value


@pytest.mark.parametrize(("body", "reason"), [
    ({"key_signers": "owners"},
     'Invalid Parameter "key_signers": Accepted Values are: nobody, administrators, members.'),
    ({"key_signers": "members", "colour": "red"}, "Unexpected parameters: colour"),
], ids=["unknown-value", "unexpected"])
def test_a_bad_setting_is_a_bad_request_saying_why(rest_url, ant, body, reason):
    url = rest_url(f"3.1/plugins/pgp/lists/{LIST_ID}")
    assert api_error(url, method="PATCH", json=body) == (400, reason)
    config.db.abort()
    assert getUtility(IPGPListManager).get(LIST_ID).key_signers is KeySigners.administrators


def test_a_list_that_is_not_pgp_takes_no_setting(rest_url, ant):
    with transaction():
        create_list("bee@example.com")
    assert api_error(rest_url("3.1/plugins/pgp/lists/bee.example.com"), method="PATCH",
                     json={"key_signers": "members"}) == (
        404, "bee.example.com is not a PGP list.")
