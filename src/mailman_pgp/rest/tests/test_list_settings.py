# Test that a PGP list shows every policy setting through REST with its default, takes each
# action and switch value, refuses a bad value naming the field and the accepted values, and
# refuses unknown fields, changing nothing then.

from urllib.error import HTTPError

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.action import Action
from mailman.testing.helpers import call_api
from zope.component import getUtility

from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.interfaces.lists import IPGPListManager

LIST_ID = "ant.example.com"
ACTIONS = ["unencrypted_action", "unsigned_action", "bad_signature_action",
           "expired_key_action", "revoked_key_action", "unknown_key_action",
           "inline_pgp_action", "replay_action"]
SWITCHES = ["sign_outgoing", "strip_sender_signature", "protect_headers", "autocrypt",
            "archive_plaintext"]


@pytest.fixture
def url(mailman_rest, rest_url):
    with transaction():
        make_pgp_list(create_list("ant@example.com"))
    return rest_url(f"3.1/plugins/pgp/lists/{LIST_ID}")


def api_error(url: str, **kws) -> tuple[int, str]:
    with pytest.raises(HTTPError) as caught:
        call_api(url, **kws)
    return caught.value.code, caught.value.reason


def settings() -> dict:
    config.db.abort()
    pgp_list = getUtility(IPGPListManager).get(LIST_ID)
    return {name: getattr(pgp_list, name) for name in ACTIONS + SWITCHES}


def test_a_new_list_shows_every_setting_with_its_default(url):
    content, _ = call_api(url)
    assert {name: content[name] for name in ACTIONS + SWITCHES} == {
        "unencrypted_action": "reject", "unsigned_action": "reject",
        "bad_signature_action": "reject", "expired_key_action": "reject",
        "revoked_key_action": "reject", "unknown_key_action": "reject",
        "inline_pgp_action": "accept", "replay_action": "reject",
        "sign_outgoing": True, "strip_sender_signature": False, "protect_headers": True,
        "autocrypt": True, "archive_plaintext": False}


@pytest.mark.parametrize("name", ACTIONS)
def test_each_action_takes_every_action_name(url, name):
    for action in Action:
        _, response = call_api(url, method="PATCH", json={name: action.name})
        assert response.status_code == 204
        assert settings()[name] is action
        assert call_api(url)[0][name] == action.name


def test_switches_take_json_booleans_and_form_words(url):
    flipped = {name: not value for name, value in settings().items() if name in SWITCHES}
    call_api(url, method="PATCH", json=flipped)
    assert {name: settings()[name] for name in SWITCHES} == flipped
    call_api(url, method="PATCH", data={"autocrypt": "true", "sign_outgoing": "False"})
    assert (settings()["autocrypt"], settings()["sign_outgoing"]) == (True, False)


def test_several_settings_change_at_once_and_the_rest_stay(url):
    before = settings()
    call_api(url, method="PATCH", json={"unsigned_action": "hold", "replay_action": "discard",
                                        "protect_headers": False})
    after = settings()
    assert (after["unsigned_action"], after["replay_action"], after["protect_headers"]) == (
        Action.hold, Action.discard, False)
    unchanged = set(ACTIONS + SWITCHES) - {"unsigned_action", "replay_action", "protect_headers"}
    assert {name: after[name] for name in unchanged} == {
        name: before[name] for name in unchanged}


@pytest.mark.parametrize(("body", "reason"), [
    ({"unsigned_action": "bounce"},
     'Invalid Parameter "unsigned_action": Accepted Values are: hold, reject, discard, accept,'
     ' defer.'),
    ({"replay_action": "REJECT"},
     'Invalid Parameter "replay_action": Accepted Values are: hold, reject, discard, accept,'
     ' defer.'),
    ({"protect_headers": "maybe"},
     'Invalid Parameter "protect_headers": Accepted Values are: true, false.'),
    ({"autocrypt": 1},
     'Invalid Parameter "autocrypt": Accepted Values are: true, false.'),
    ({"archive_plaintext": None},
     'Invalid Parameter "archive_plaintext": Accepted Values are: true, false.'),
    ({"unsigned_action": "hold", "encrypt_everything": True},
     "Unexpected parameters: encrypt_everything"),
], ids=["unknown-action", "action-case", "word", "number", "null", "unknown-field"])
def test_a_bad_setting_is_refused_naming_the_field_and_changes_nothing(url, body, reason):
    before = settings()
    assert api_error(url, method="PATCH", json=body) == (400, reason)
    assert settings() == before
