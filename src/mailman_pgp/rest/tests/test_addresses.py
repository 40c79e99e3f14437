# Test that the REST API sets, shows, updates (revocation, expiry) and removes an address's key.

import re
from datetime import UTC, datetime
from urllib.error import HTTPError

import pytest
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.testing.helpers import call_api
from zope.component import getUtility

from mailman_pgp.app.keys import set_address_key
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager


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
    key = getUtility(IPGPAddressKeyManager).get("anne@example.com")
    assert (key.fingerprint, key.confirmed) == (gpg_keys.anne_fingerprint, True)


def test_get_shows_fingerprint_armor_and_confirmed(anne_url, gpg_keys):
    put_key(anne_url, gpg_keys.anne)
    content, response = call_api(anne_url)
    assert content["email"] == "anne@example.com"
    assert content["fingerprint"] == gpg_keys.anne_fingerprint
    assert content["public_key"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert content["confirmed"] is True
    assert content["self_link"] == anne_url
    assert content["revoked"] is False
    # gpg_keys made anne's key to expire in two years.
    expires = datetime.fromisoformat(content["expires"])
    assert expires.utcoffset().total_seconds() == 0
    assert 700 < (expires - datetime.now(expires.tzinfo)).days < 732


def test_get_shows_every_field_of_the_key(anne_url, gpg_keys):
    put_key(anne_url, gpg_keys.anne)
    content, response = call_api(anne_url)
    assert set(content) == {
        "email", "fingerprint", "user_ids", "algorithm", "created", "expires", "revoked",
        "confirmed", "public_key", "self_link", "http_etag"}


@pytest.mark.parametrize(("primary", "subkey", "algorithm"), [
    pytest.param("future-default", None, "ed25519", id="ed25519"),
    pytest.param("rsa2048", "rsa2048", "rsa2048", id="rsa2048"),
    pytest.param("nistp256", "nistp256", "nistp256", id="nistp256"),
])
def test_get_shows_user_ids_algorithm_and_creation_time(
        anne_url, subscriber_gpg, primary, subkey, algorithm):
    gpg = subscriber_gpg
    # Made at a known time; the second user ID a day later.
    fingerprint = gpg.generate("Anne Person <anne@example.com>", primary,
                               made_at="20200101T000000")
    gpg.run("--quick-add-uid", fingerprint, "Anne at work <anne@work.example.com>",
            faked_time="20200102T000000!")
    if subkey is not None:
        gpg.run("--quick-add-key", fingerprint, subkey, "encr", "never",
                faked_time="20200102T000000!")
    put_key(anne_url, gpg.export())
    content, response = call_api(anne_url)
    assert sorted(content["user_ids"]) == [
        "Anne Person <anne@example.com>", "Anne at work <anne@work.example.com>"]
    assert content["algorithm"] == algorithm
    assert datetime.fromisoformat(content["created"]) == datetime(2020, 1, 1, tzinfo=UTC)
    assert content["expires"] is None


def test_get_shows_no_expiry_as_null(anne_url, subscriber_gpg):
    subscriber_gpg.generate("Anne Person <anne@example.com>")
    put_key(anne_url, subscriber_gpg.export())
    content, response = call_api(anne_url)
    assert content["expires"] is None


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
    assert getUtility(IPGPAddressKeyManager).get("anne@example.com") is None


@pytest.mark.parametrize("algorithm", ["rsa1024", "brainpoolP256r1"])
def test_a_key_of_an_algorithm_the_list_cannot_use_is_a_bad_request(
        anne_url, subscriber_gpg, algorithm):
    fingerprint = subscriber_gpg.generate("Anne Person <anne@example.com>", algorithm)
    code, reason = api_error(anne_url, method="PUT",
                             json={"public_key": subscriber_gpg.export()})
    assert (code, reason) == (
        400, f"The key {fingerprint} uses {algorithm}, an algorithm this list cannot use (too"
        " weak, or not supported); please send a key made with a current algorithm, such as"
        " ed25519 or rsa3072.")


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
    assert getUtility(IPGPAddressKeyManager).get("anne@example.com") is None


def test_delete_without_a_key_is_not_found(anne_url):
    assert api_error(anne_url, method="DELETE") == (
        404,
        "No key is registered for anne@example.com.",
    )


def test_an_address_has_no_other_resource(rest_url):
    assert api_error(rest_url("3.1/plugins/pgp/addresses/anne@example.com"))[0] == 404


def test_a_revocation_certificate_revokes_the_registered_key(anne_url, gpg_keys):
    put_key(anne_url, gpg_keys.anne)
    content, response = put_key(anne_url, gpg_keys.anne_revocation)
    assert response.status_code == 204
    content, response = call_api(anne_url)
    assert content["fingerprint"] == gpg_keys.anne_fingerprint
    assert (content["revoked"], content["confirmed"]) == (True, True)
    config.db.abort()
    certificate = getUtility(IPGPAddressKeyManager).get("anne@example.com").certificate()
    assert certificate.revoked


def test_the_same_key_exported_anew_updates_it_even_when_revoked(anne_url, subscriber_gpg):
    gpg = subscriber_gpg
    fingerprint = gpg.generate("Anne Person <anne@example.com>", expire="1y")
    put_key(anne_url, gpg.export())
    before, response = call_api(anne_url)
    gpg.run("--quick-set-expire", fingerprint, "3y")
    content, response = put_key(anne_url, gpg.export())
    assert response.status_code == 204
    extended, response = call_api(anne_url)
    assert extended["expires"] > before["expires"]
    assert extended["revoked"] is False
    gpg.revoke(fingerprint)
    content, response = put_key(anne_url, gpg.export())
    assert response.status_code == 204
    revoked, response = call_api(anne_url)
    assert (revoked["fingerprint"], revoked["revoked"]) == (fingerprint, True)
    assert revoked["expires"] == extended["expires"]


def test_an_update_keeps_an_unconfirmed_key_unconfirmed(anne_url, gpg_keys):
    with transaction():
        set_address_key("anne@example.com", gpg_keys.anne, confirmed=False)
    put_key(anne_url, gpg_keys.anne_revocation)
    content, response = call_api(anne_url)
    assert (content["revoked"], content["confirmed"]) == (True, False)


def test_a_revocation_of_another_key_is_a_bad_request_saying_why(anne_url, gpg_keys):
    put_key(anne_url, gpg_keys.anne)
    code, reason = api_error(anne_url, method="PUT",
                             json={"public_key": gpg_keys.bart_revocation})
    assert code == 400
    assert "This revocation certificate was made by the key" in reason
    assert f"not by the key {gpg_keys.anne_fingerprint}" in reason
    content, response = call_api(anne_url)
    assert content["revoked"] is False


def test_a_revocation_without_a_key_is_not_found(anne_url, gpg_keys):
    assert api_error(anne_url, method="PUT", json={"public_key": gpg_keys.anne_revocation}) == (
        404,
        "No key is registered for anne@example.com. A revocation certificate only updates"
        " a registered key, so there is nothing to revoke.",
    )
    config.db.abort()
    assert getUtility(IPGPAddressKeyManager).get("anne@example.com") is None


def test_a_revoked_key_of_another_fingerprint_is_still_refused(anne_url, gpg_keys, subscriber_gpg):
    put_key(anne_url, gpg_keys.anne)
    fingerprint = subscriber_gpg.generate("Anne Person <anne@example.com>")
    subscriber_gpg.revoke(fingerprint)
    code, reason = api_error(anne_url, method="PUT",
                             json={"public_key": subscriber_gpg.export()})
    assert (code, reason) == (400, f"The key {fingerprint} has been revoked by its owner.")
    content, response = call_api(anne_url)
    assert (content["fingerprint"], content["revoked"]) == (gpg_keys.anne_fingerprint, False)


def test_a_key_over_the_limits_is_refused_before_it_is_read(anne_url):
    from mailman_pgp.testing.hostile_keys import key_with_user_ids

    hostile = key_with_user_ids("anne@example.com", 1000)
    code, reason = api_error(anne_url, method="PUT", json={"public_key": hostile.armor})
    assert (code, reason) == (400, "The key holds 1000 user IDs; this list reads keys with at"
                                   " most 100: remove the ones you no longer use (gpg"
                                   " --edit-key, deluid), then send it again.")
    config.db.abort()
    assert getUtility(IPGPAddressKeyManager).get("anne@example.com") is None
