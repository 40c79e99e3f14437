# Test that the REST API sets, shows and removes an address's key, refusing unusable keys.

import re
from urllib.error import HTTPError

import pytest
from mailman.config import config
from mailman.testing.helpers import call_api

from mailman_pgp.model import PGPAddressKey


def api_error(url: str, **kws) -> tuple[int, str]:
    with pytest.raises(HTTPError) as caught:
        call_api(url, **kws)
    return caught.value.code, caught.value.reason


@pytest.fixture
def anne_url(rest_url):
    return rest_url("3.1/plugins/pgp/addresses/anne@example.com/key")


def put_key(url: str, armor: str):
    return call_api(url, method="PUT", json={"public_key": armor})


def test_put_sets_a_confirmed_key(anne_url, gpg_keys):
    content, response = put_key(anne_url, gpg_keys.anne)
    assert response.status_code == 201
    assert response.headers["location"] == anne_url
    config.db.abort()
    key = PGPAddressKey.for_email("anne@example.com")
    assert (key.fingerprint, key.confirmed) == (gpg_keys.anne_fingerprint, True)


def test_get_shows_fingerprint_armor_and_confirmed(anne_url, gpg_keys):
    put_key(anne_url, gpg_keys.anne)
    content, response = call_api(anne_url)
    assert content["email"] == "anne@example.com"
    assert content["fingerprint"] == gpg_keys.anne_fingerprint
    assert content["public_key"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert content["confirmed"] is True
    assert content["self_link"] == anne_url


def test_put_again_replaces_the_key(anne_url, gpg_keys):
    put_key(anne_url, gpg_keys.anne)
    content, response = put_key(anne_url, gpg_keys.anne_second)
    assert response.status_code == 204
    content, response = call_api(anne_url)
    assert content["fingerprint"] == gpg_keys.anne_second_fingerprint


def test_the_address_is_matched_in_any_case(rest_url, gpg_keys):
    put_key(rest_url("3.1/plugins/pgp/addresses/Anne@Example.COM/key"), gpg_keys.anne)
    content, response = call_api(rest_url("3.1/plugins/pgp/addresses/anne@example.com/key"))
    assert content["email"] == "anne@example.com"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        pytest.param("garbage", "not .*OpenPGP|No OpenPGP key", id="garbage"),
        pytest.param("carol_expired", "expired", id="expired"),
        pytest.param("dave_revoked", "revoked", id="revoked"),
        pytest.param("anne_secret", "secret key", id="secret-key"),
        pytest.param(
            "bart", "no user ID with the address anne@example.com", id="user-id-mismatch"
        ),
    ],
)
def test_an_unusable_key_is_a_bad_request_saying_why(anne_url, gpg_keys, key, message):
    armor = getattr(gpg_keys, key, "this is not a key")
    code, reason = api_error(anne_url, method="PUT", json={"public_key": armor})
    assert code == 400
    assert re.search(message, reason), reason
    assert "Traceback" not in reason and "RuntimeError" not in reason
    config.db.abort()
    assert PGPAddressKey.for_email("anne@example.com") is None


def test_an_unusable_key_leaves_the_old_one(anne_url, gpg_keys):
    put_key(anne_url, gpg_keys.anne)
    code, reason = api_error(anne_url, method="PUT", json={"public_key": gpg_keys.bart})
    assert code == 400
    content, response = call_api(anne_url)
    assert content["fingerprint"] == gpg_keys.anne_fingerprint


def test_put_without_a_key_is_a_bad_request(anne_url):
    assert api_error(anne_url, method="PUT", json={}) == (400, "Missing Parameter: public_key")


def test_put_for_something_not_an_address_is_a_bad_request(rest_url, gpg_keys):
    url = rest_url("3.1/plugins/pgp/addresses/nobody/key")
    assert api_error(url, method="PUT", json={"public_key": gpg_keys.anne}) == (
        400,
        "'nobody' is not a valid email address.",
    )


def test_get_without_a_key_is_not_found(anne_url):
    assert api_error(anne_url) == (404, "No key is registered for anne@example.com.")


def test_delete_removes_the_key(anne_url, gpg_keys):
    put_key(anne_url, gpg_keys.anne)
    content, response = call_api(anne_url, method="DELETE")
    assert response.status_code == 204
    assert api_error(anne_url) == (404, "No key is registered for anne@example.com.")
    config.db.abort()
    assert PGPAddressKey.for_email("anne@example.com") is None


def test_delete_without_a_key_is_not_found(anne_url):
    assert api_error(anne_url, method="DELETE") == (
        404,
        "No key is registered for anne@example.com.",
    )


def test_an_address_has_no_other_resource(rest_url):
    assert api_error(rest_url("3.1/plugins/pgp/addresses/anne@example.com"))[0] == 404
