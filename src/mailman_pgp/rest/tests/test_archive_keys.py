# Test that the REST API lists, adds, updates and removes the keys a PGP list's archive is
# encrypted to, refuses keys it cannot use with a 400 saying why, and answers 404 below a list
# that is not a PGP list.

from urllib.error import HTTPError

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.testing.helpers import call_api

from mailman_pgp.app.archive_keys import archive_keys
from mailman_pgp.app.lists import make_pgp_list


def api_error(url: str, **kws) -> tuple[int, str]:
    with pytest.raises(HTTPError) as caught:
        call_api(url, **kws)
    return caught.value.code, str(caught.value.reason)


@pytest.fixture
def keys_url(rest_url):
    with transaction():
        make_pgp_list(create_list("crypto@example.com"))
        create_list("plain@example.com")
    return rest_url("3.1/plugins/pgp/lists/crypto.example.com/archive-keys")


def test_put_adds_a_key_and_get_lists_it(keys_url, gpg_keys):
    url = f"{keys_url}/{gpg_keys.anne_fingerprint}"
    content, response = call_api(url, method="PUT", json={"public_key": gpg_keys.anne})
    assert response.status_code == 201
    assert response.headers["location"] == url
    config.db.abort()
    [stored] = archive_keys("crypto.example.com")
    assert stored.fingerprint == gpg_keys.anne_fingerprint
    content, response = call_api(keys_url)
    assert content["total_size"] == 1
    [entry] = content["entries"]
    assert entry["fingerprint"] == gpg_keys.anne_fingerprint
    assert entry["list_id"] == "crypto.example.com"
    assert entry["public_key"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert entry["self_link"] == url
    content, response = call_api(url)
    assert content["fingerprint"] == gpg_keys.anne_fingerprint


def test_put_again_updates_it(keys_url, gpg_keys):
    url = f"{keys_url}/{gpg_keys.anne_fingerprint}"
    call_api(url, method="PUT", json={"public_key": gpg_keys.anne})
    content, response = call_api(url, method="PUT", json={"public_key": gpg_keys.anne})
    assert response.status_code == 204
    config.db.abort()
    assert len(archive_keys("crypto.example.com")) == 1


def test_delete_removes_it(keys_url, gpg_keys):
    url = f"{keys_url}/{gpg_keys.anne_fingerprint}"
    call_api(url, method="PUT", json={"public_key": gpg_keys.anne})
    content, response = call_api(url, method="DELETE")
    assert response.status_code == 204
    config.db.abort()
    assert archive_keys("crypto.example.com") == []
    assert api_error(url, method="DELETE")[0] == 404
    assert api_error(url)[0] == 404


@pytest.mark.parametrize(("key", "says"), [
    ("carol_expired", "expired"),
    ("dave_revoked", "revoked"),
    ("anne_secret", "secret"),
    ("garbage", ""),
])
def test_put_refuses_a_key_it_cannot_use(keys_url, gpg_keys, key, says):
    armor = "not a key" if key == "garbage" else getattr(gpg_keys, key)
    code, body = api_error(f"{keys_url}/{gpg_keys.anne_fingerprint}", method="PUT",
                           json={"public_key": armor})
    assert code == 400
    assert says in body.lower()
    config.db.abort()
    assert archive_keys("crypto.example.com") == []


def test_put_refuses_a_key_with_another_fingerprint(keys_url, gpg_keys):
    code, body = api_error(f"{keys_url}/{gpg_keys.bart.__len__():040X}", method="PUT",
                           json={"public_key": gpg_keys.anne})
    assert code == 400
    assert gpg_keys.anne_fingerprint in body


def test_a_list_that_is_not_a_pgp_list_has_no_archive_keys(keys_url, gpg_keys):
    plain = keys_url.replace("crypto.example.com", "plain.example.com")
    for method, kws in (("GET", {}), ("PUT", {"json": {"public_key": gpg_keys.anne}}),
                        ("DELETE", {})):
        url = plain if method == "GET" else f"{plain}/{gpg_keys.anne_fingerprint}"
        code, body = api_error(url, method=method, **kws)
        assert (code, "is not a PGP list" in body) == (404, True)


def test_a_list_deleted_and_made_again_starts_without_the_old_archive_keys(
        rest_url, keys_url, gpg_keys):
    call_api(f"{keys_url}/{gpg_keys.anne_fingerprint}", method="PUT",
             json={"public_key": gpg_keys.anne})
    content, response = call_api(rest_url("3.1/lists/crypto.example.com"), method="DELETE")
    assert response.status_code == 204
    config.db.abort()
    with transaction():
        make_pgp_list(create_list("crypto@example.com"))
    assert archive_keys("crypto.example.com") == []
    content, response = call_api(keys_url)
    assert content["total_size"] == 0
