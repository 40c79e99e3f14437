# Test that the REST API makes lists PGP lists and shows their settings and public keys.

from datetime import datetime
from urllib.error import HTTPError

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.listmanager import IListManager
from mailman.testing.helpers import call_api
from zope.component import getUtility

from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import generate_key, load_certificate


@pytest.fixture
def ant(mailman_rest):
    with transaction():
        create_list("ant@example.com").display_name = "Ant"
    return "ant.example.com"


def api_error(url: str, **kws) -> tuple[int, str]:
    with pytest.raises(HTTPError) as caught:
        call_api(url, **kws)
    return caught.value.code, caught.value.reason


def make_pgp(rest_url, list_id: str) -> None:
    call_api(rest_url("3.1/plugins/pgp/lists"), json={"list_id": list_id})
    config.db.abort()


def test_post_makes_a_list_a_pgp_list(rest_url, ant):
    content, response = call_api(rest_url("3.1/plugins/pgp/lists"), json={"list_id": ant})
    assert response.status_code == 201
    assert response.headers["location"] == rest_url(f"3.1/plugins/pgp/lists/{ant}")
    config.db.abort()
    pgp_list = getUtility(IPGPListManager).get(ant)
    assert set(pgp_list.certificate().user_ids) == {"Ant <ant@example.com>",
                                                    "Ant <ant-request@example.com>"}
    mlist = getUtility(IListManager).get_by_list_id(ant)
    assert (mlist.posting_chain, mlist.posting_pipeline) == (
        "pgp-posting-chain",
        "pgp-posting-pipeline",
    )


def test_post_accepts_a_form_too(rest_url, ant):
    content, response = call_api(rest_url("3.1/plugins/pgp/lists"), data={"list_id": ant})
    assert response.status_code == 201
    config.db.abort()
    assert getUtility(IPGPListManager).get(ant) is not None


def test_post_for_a_pgp_list_is_a_conflict(rest_url, ant):
    make_pgp(rest_url, ant)
    fingerprint = getUtility(IPGPListManager).get(ant).fingerprint
    assert api_error(rest_url("3.1/plugins/pgp/lists"), json={"list_id": ant}) == (
        409,
        "ant.example.com is already a PGP list.",
    )
    config.db.abort()
    assert getUtility(IPGPListManager).get(ant).fingerprint == fingerprint


def test_post_for_an_unknown_list_is_not_found(rest_url, ant):
    assert api_error(rest_url("3.1/plugins/pgp/lists"), json={"list_id": "bee.example.com"}) == (
        404,
        "No mailing list bee.example.com.",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            {"fqdn_listname": "ant@example.com"},
            "Unexpected parameters: fqdn_listname",
            id="unexpected",
        ),
        pytest.param({}, "Missing Parameter: list_id", id="missing"),
    ],
)
def test_post_with_wrong_parameters_is_a_bad_request(rest_url, ant, body, message):
    assert api_error(rest_url("3.1/plugins/pgp/lists"), method="POST", json=body) == (400, message)


def test_collection_of_no_pgp_lists(rest_url, ant):
    content, response = call_api(rest_url("3.1/plugins/pgp/lists"))
    assert (content["start"], content["total_size"]) == (0, 0)
    assert "entries" not in content


def test_collection_lists_pgp_lists_only(rest_url, ant):
    with transaction():
        create_list("bee@example.com")
        create_list("cat@example.com")
    make_pgp(rest_url, "cat.example.com")
    make_pgp(rest_url, ant)
    content, response = call_api(rest_url("3.1/plugins/pgp/lists"))
    assert (content["start"], content["total_size"]) == (0, 2)
    assert [entry["list_id"] for entry in content["entries"]] == [ant, "cat.example.com"]


def test_collection_pages(rest_url, ant):
    with transaction():
        create_list("bee@example.com")
    make_pgp(rest_url, ant)
    make_pgp(rest_url, "bee.example.com")
    content, response = call_api(rest_url("3.1/plugins/pgp/lists?count=1&page=2"))
    assert (content["start"], content["total_size"]) == (1, 2)
    assert [entry["list_id"] for entry in content["entries"]] == ["bee.example.com"]


@pytest.mark.parametrize(("query", "description"), [
    ("count=2", "count and page go together"),
    ("count=x&page=1", "Invalid count: 'x'; give a whole number"),
    ("count=2&page=0", "Invalid page: '0'; give a whole number from 1"),
], ids=["count-alone", "count-not-a-number", "page-zero"])
def test_paging_mistakes_are_a_bad_request_saying_which(rest_url, ant, query, description):
    code, reason = api_error(rest_url(f"3.1/plugins/pgp/lists?{query}"))
    assert (code, reason) == (400, description)


def test_a_pgp_list_shows_its_settings(rest_url, ant):
    make_pgp(rest_url, ant)
    content, response = call_api(rest_url(f"3.1/plugins/pgp/lists/{ant}"))
    assert response.status_code == 200
    assert content["list_id"] == ant
    assert content["fingerprint"] == getUtility(IPGPListManager).get(ant).fingerprint
    assert content["posting_chain"] == "pgp-posting-chain"
    assert content["posting_pipeline"] == "pgp-posting-pipeline"
    assert content["self_link"] == rest_url(f"3.1/plugins/pgp/lists/{ant}")
    assert content["key_link"] == rest_url(f"3.1/plugins/pgp/lists/{ant}/key")


def test_a_list_that_is_not_pgp_is_not_found(rest_url, ant):
    assert api_error(rest_url(f"3.1/plugins/pgp/lists/{ant}")) == (
        404,
        "ant.example.com is not a PGP list.",
    )
    assert api_error(rest_url(f"3.1/plugins/pgp/lists/{ant}/key")) == (
        404,
        "ant.example.com is not a PGP list.",
    )


def test_an_unknown_list_is_not_found(rest_url, ant):
    assert api_error(rest_url("3.1/plugins/pgp/lists/bee.example.com")) == (
        404,
        "No mailing list bee.example.com.",
    )


def test_the_key_resource_serves_the_public_key_only(rest_url, ant):
    make_pgp(rest_url, ant)
    content, response = call_api(rest_url(f"3.1/plugins/pgp/lists/{ant}/key"))
    assert set(content) == {"list_id", "fingerprint", "public_key", "algorithm", "created",
                            "expires", "http_etag"}
    assert content["public_key"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE KEY" not in response.text
    certificate = load_certificate(content["public_key"])
    assert certificate.fingerprint == content["fingerprint"]
    # The key's facts as addresses/<email>/key gives them: GnuPG's algorithm name, ISO 8601.
    assert content["algorithm"] == certificate.algorithm
    assert datetime.fromisoformat(content["created"]) == certificate.created
    assert content["expires"] is None and certificate.expires is None
    assert content["fingerprint"] == getUtility(IPGPListManager).get(ant).fingerprint


def test_a_subscribers_gnupg_imports_the_list_key(rest_url, ant, subscriber_gpg):
    make_pgp(rest_url, ant)
    content, response = call_api(rest_url(f"3.1/plugins/pgp/lists/{ant}/key"))
    subscriber_gpg.import_key(content["public_key"])
    assert subscriber_gpg.fingerprint("ant@example.com") == content["fingerprint"]


def test_deleting_the_list_in_mailman_forgets_its_pgp_side(rest_url, ant):
    make_pgp(rest_url, ant)
    content, response = call_api(rest_url(f"3.1/lists/{ant}"), method="DELETE")
    assert response.status_code == 204
    config.db.abort()
    assert getUtility(IPGPListManager).get(ant) is None
    assert api_error(rest_url(f"3.1/plugins/pgp/lists/{ant}")) == (
        404,
        "No mailing list ant.example.com.",
    )


def test_the_api_needs_mailmans_credentials(rest_url, ant):
    code, message = api_error(rest_url("3.1/plugins/pgp/lists"), password="wrong")
    assert (code, message) == (401, "REST API authorization failed")


def test_a_key_pair_left_by_a_list_deleted_without_the_plugin_shows_no_chain(rest_url):
    with transaction():
        getUtility(IPGPListManager).create("gone.example.com", generate_key("<gone@example.com>"))
    content, response = call_api(rest_url("3.1/plugins/pgp/lists/gone.example.com"))
    assert (content["list_id"], content["posting_chain"], content["posting_pipeline"]) == (
        "gone.example.com",
        None,
        None,
    )
