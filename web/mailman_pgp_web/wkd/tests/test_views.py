# Test that the Web Key Directory serves each PGP list's key, from a real Mailman's REST,
# at the paths GnuPG computes, in binary, with the draft's headers; and 404, 503, policy
# and cache behaviour.

import subprocess
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import cache

from mailman_pgp.testing.gnupg import GnuPGClient
from mailman_pgp_web.signals import event_signal
from mailman_pgp_web.wkd.hashing import WKDAddress
from mailman_pgp_web.wkd.tests.test_hashing import wks_client

pytestmark = pytest.mark.mailman


@pytest.fixture(scope="module")
def gpg():
    client = GnuPGClient()
    yield client
    client.close()


@pytest.fixture
def rest(rest_url):
    """POST/GET to this run's Mailman REST, as its administrator."""
    from mailman.config import config

    session = requests.Session()
    session.auth = (config.webservice.admin_user, config.webservice.admin_pass)

    def call(method: str, path: str, **kwargs) -> requests.Response:
        response = session.request(method, rest_url(path), timeout=30, **kwargs)
        assert response.status_code < 400, (path, response.status_code, response.text)
        return response

    yield call
    session.close()


@pytest.fixture
def wkd_site(settings, rest_url):
    """The app's settings pointing at this run's Mailman, WKD URLs at the root, no cache."""
    from mailman.config import config

    settings.MAILMAN_REST_API_URL = rest_url("").rstrip("/")
    settings.MAILMAN_REST_API_USER = config.webservice.admin_user
    settings.MAILMAN_REST_API_PASS = config.webservice.admin_pass
    settings.ROOT_URLCONF = "mailman_pgp_web.wkd_urls"
    settings.ALLOWED_HOSTS = ["example.com", ".example.com", "example.net", ".example.net"]
    cache.clear()
    yield settings
    cache.clear()


def make_pgp_list(rest, address: str) -> str:
    """A new PGP list at ``address``; its key's fingerprint, as REST says."""
    rest("POST", "3.1/lists", data={"fqdn_listname": address})
    list_id = address.replace("@", ".")
    rest("POST", "3.1/plugins/pgp/lists", json={"list_id": list_id})
    return rest("GET", f"3.1/plugins/pgp/lists/{list_id}/key").json()["fingerprint"]


@pytest.fixture
def crypt(rest, wkd_site):
    return make_pgp_list(rest, "crypt@example.com")


def gnupg_url(address: str) -> tuple[str, str]:
    """Host and path+query of the advanced-method URL gpg-wks-client prints."""
    url = subprocess.run([wks_client(), "--print-wkd-url", address], capture_output=True,
                         text=True, check=True).stdout.strip()
    parts = urlsplit(url)
    return parts.hostname, f"{parts.path}?{parts.query}"


def direct_path(address: str) -> str:
    """The direct method's path: the advanced one without the domain segment."""
    host, path = gnupg_url(address)
    domain = WKDAddress.parse(address).domain
    assert host == f"openpgpkey.{domain}"
    return path.replace(f"/openpgpkey/{domain}/hu/", "/openpgpkey/hu/")


def assert_key_answer(response, gpg, fingerprint):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.content.startswith(b"-----BEGIN"), "armored: WKD wants binary"
    assert gpg.fingerprints(response.content) == [fingerprint]


@pytest.mark.parametrize("address", ["crypt@example.com", "crypt-request@example.com"])
def test_advanced_method_serves_list_key(address, client, crypt, gpg):
    host, path = gnupg_url(address)
    assert_key_answer(client.get(path, HTTP_HOST=host), gpg, crypt)


@pytest.mark.parametrize("address", ["crypt@example.com", "Crypt-Request@example.com"])
def test_direct_method_serves_list_key(address, client, crypt, gpg):
    assert_key_answer(client.get(direct_path(address), HTTP_HOST="example.com"), gpg, crypt)


def test_head_answers_like_get(client, crypt):
    host, path = gnupg_url("crypt@example.com")
    response = client.head(path, HTTP_HOST=host)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response.content == b""


def test_unknown_addresses_are_404(client, crypt):
    for address in ("nobody@example.com", "crypt@example.net", "crypt-owner@example.com"):
        host, path = gnupg_url(address)
        response = client.get(path, HTTP_HOST=host)
        assert response.status_code == 404, address
        assert response["Access-Control-Allow-Origin"] == "*"
        assert client.get(direct_path(address), HTTP_HOST=host[len("openpgpkey."):]
                          ).status_code == 404


def test_each_list_its_own_key(client, rest, crypt, gpg):
    other = make_pgp_list(rest, "other@example.com")
    assert other != crypt
    cache.clear()
    host, path = gnupg_url("other@example.com")
    assert_key_answer(client.get(path, HTTP_HOST=host), gpg, other)
    host, path = gnupg_url("crypt@example.com")
    assert_key_answer(client.get(path, HTTP_HOST=host), gpg, crypt)


def test_plain_list_has_no_key(client, rest, crypt):
    rest("POST", "3.1/lists", data={"fqdn_listname": "plain@example.com"})
    cache.clear()
    host, path = gnupg_url("plain@example.com")
    assert client.get(path, HTTP_HOST=host).status_code == 404


def test_policy_files(client, crypt):
    for path, host in [("/.well-known/openpgpkey/example.com/policy", "openpgpkey.example.com"),
                       ("/.well-known/openpgpkey/policy", "example.com")]:
        response = client.get(path, HTTP_HOST=host)
        assert response.status_code == 200, path
        assert response["Access-Control-Allow-Origin"] == "*"
        # No flag: nothing to submit, no DANE, no mailbox-only rule.
        assert all(line.startswith(b"#") for line in response.content.splitlines())
    assert client.get("/.well-known/openpgpkey/example.net/policy",
                      HTTP_HOST="openpgpkey.example.net").status_code == 404
    assert client.get("/.well-known/openpgpkey/policy",
                      HTTP_HOST="example.net").status_code == 404


def test_no_submission_address(client, crypt):
    # Without this file a client knows there is no Web Key Service to publish keys with.
    for path, host in [
            ("/.well-known/openpgpkey/example.com/submission-address", "openpgpkey.example.com"),
            ("/.well-known/openpgpkey/submission-address", "example.com")]:
        assert client.get(path, HTTP_HOST=host).status_code == 404


def test_index_cached_until_a_list_key_event(client, rest, crypt, wkd_site, gpg):
    host, path = gnupg_url("crypt@example.com")
    assert client.get(path, HTTP_HOST=host).status_code == 200
    # Mailman's REST gone: the index and the key come from the cache, no REST call made.
    rest_url = wkd_site.MAILMAN_REST_API_URL
    wkd_site.MAILMAN_REST_API_URL = "http://127.0.0.1:9"
    assert_key_answer(client.get(path, HTTP_HOST=host), gpg, crypt)
    unknown_host, unknown = gnupg_url("nobody@example.com")
    assert client.get(unknown, HTTP_HOST=unknown_host).status_code == 404
    # A new PGP list is unknown to the cached index until its ListKeyCreatedEvent.
    wkd_site.MAILMAN_REST_API_URL = rest_url
    new = make_pgp_list(rest, "new@example.com")
    new_host, new_path = gnupg_url("new@example.com")
    assert client.get(new_path, HTTP_HOST=new_host).status_code == 404
    event_signal("ListKeyCreatedEvent").send(
        sender=None, name="ListKeyCreatedEvent",
        event={"mlist": "new.example.com", "fingerprint": new})
    assert_key_answer(client.get(new_path, HTTP_HOST=new_host), gpg, new)


def test_rest_unreachable_is_503_not_404(client, wkd_site):
    wkd_site.MAILMAN_REST_API_URL = "http://127.0.0.1:9"
    host, path = gnupg_url("crypt@example.com")
    response = client.get(path, HTTP_HOST=host)
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert client.get("/.well-known/openpgpkey/example.com/policy",
                      HTTP_HOST=host).status_code == 503


def test_only_get_and_head(client, crypt):
    host, path = gnupg_url("crypt@example.com")
    assert client.post(path, HTTP_HOST=host).status_code == 405


def locate_by_wkd(gpg, address: str, key_data: bytes) -> str:
    """Import ``key_data`` as ``gpg --locate-keys`` imports what WKD served for ``address``
    (only the user IDs with that mailbox are kept); the fingerprint gpg then finds."""
    gpg.run("--import-filter", f"keep-uid=mbox = {address.lower()}", "--import",
            input=key_data)
    return gpg.fingerprint(f"<{address.lower()}>")


def fetch_through_live_server(live_server, address: str) -> requests.Response:
    """GET the URL gpg-wks-client prints, from the live server, with its Host header."""
    host, path = gnupg_url(address)
    return requests.get(live_server.url + path, headers={"Host": host}, timeout=30)


def test_gnupg_locates_list_key_over_http(live_server, crypt):
    # gpg itself cannot be pointed at a test server (docs/web.md, "Testing with GnuPG"):
    # this fetches what it would fetch, from a real HTTP server, and imports it as it does.
    client = GnuPGClient()
    try:
        response = fetch_through_live_server(live_server, "crypt@example.com")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert locate_by_wkd(client, "crypt@example.com", response.content) == crypt
    finally:
        client.close()


def test_gnupg_locates_list_key_for_request_address(live_server, crypt):
    client = GnuPGClient()
    try:
        response = fetch_through_live_server(live_server, "crypt-request@example.com")
        assert response.status_code == 200
        assert locate_by_wkd(client, "crypt-request@example.com", response.content) == crypt
    finally:
        client.close()
