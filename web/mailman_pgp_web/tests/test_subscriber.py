"""The subscribers' page: a key uploaded on the web waits for its proof by email (a
challenge encrypted to it is sent), and is never confirmed by the upload itself."""

from __future__ import annotations

import pytest

from mailman_pgp_web.tests.conftest import make_user
from mailman_pgp_web.tests.helpers import make_pgp_list, plugin, set_confirmed_key

pytestmark = [pytest.mark.django_db, pytest.mark.mailman]

URL = "/pgp/keys/"


def queued(subject: str) -> list:
    from mailman.testing.helpers import get_queue_messages

    return [item for item in get_queue_messages("virgin")
            if item.msg["subject"] == subject]


def test_upload_for_a_request_to_join_waits_for_confirmation(client, crypto_list, gpg_keys):
    make_pgp_list("crypto.example.com")
    asked = crypto_list.subscribe("cris@example.com")
    assert asked["token_owner"] == "subscriber"
    assert [item.msgdata["recipients"] for item in queued(f"key set {asked['token']}")] == [
        {"cris@example.com"}]
    client.force_login(make_user("cris@example.com"))
    before = client.get(URL)
    assert "your request to join waits for your key" in before.content.decode()

    sent = client.post(URL, {"email": "cris@example.com",
                             "cris@example.com-list_id": "crypto.example.com",
                             "cris@example.com-public_key": gpg_keys.cris})
    assert sent.status_code == 302

    stored = plugin("GET", "addresses/cris@example.com/key").json()
    assert (stored["fingerprint"], stored["confirmed"]) == (gpg_keys.cris_fingerprint, False)
    [challenge] = queued("key confirm")
    assert challenge.msgdata["recipients"] == {"cris@example.com"}
    page = client.get(URL).content.decode()
    assert "waiting for confirmation" in page
    assert gpg_keys.cris_fingerprint in page


def test_upload_for_an_address_not_the_users_is_refused(client, crypto_list, gpg_keys):
    make_pgp_list("crypto.example.com")
    crypto_list.subscribe("cris@example.com")
    client.force_login(make_user("cris@example.com"))
    response = client.post(URL, {"email": "bart@example.com",
                                 "bart@example.com-list_id": "crypto.example.com",
                                 "bart@example.com-public_key": gpg_keys.bart})
    # Not a verified address of this user: nothing is sent.
    assert response.status_code == 302
    assert plugin("GET", "addresses/bart@example.com/key").status_code == 404


def test_refused_key_is_shown_at_the_key_field(client, crypto_list, gpg_keys):
    make_pgp_list("crypto.example.com")
    crypto_list.subscribe("cris@example.com")
    client.force_login(make_user("cris@example.com"))
    response = client.post(URL, {"email": "cris@example.com",
                                 "cris@example.com-list_id": "crypto.example.com",
                                 "cris@example.com-public_key": gpg_keys.bart})
    assert response.status_code == 200
    [(_, form)] = response.context["addresses"]
    assert "has no user ID with the address cris@example.com" in form.errors["public_key"][0]
    assert plugin("GET", "addresses/cris@example.com/key").status_code == 404


def test_upload_by_a_member_waits_for_its_proof_while_the_old_key_stays(
        client, crypto_list, gpg_keys):
    make_pgp_list("crypto.example.com")
    set_confirmed_key("cris@example.com", gpg_keys.cris)
    crypto_list.subscribe("cris@example.com", pre_verified=True, pre_confirmed=True,
                          pre_approved=True)
    assert crypto_list.get_member("cris@example.com")
    client.force_login(make_user("cris@example.com"))

    sent = client.post(URL, {"email": "cris@example.com",
                             "cris@example.com-list_id": "crypto.example.com",
                             "cris@example.com-public_key": gpg_keys.cris_new})
    assert sent.status_code == 302

    # A web login proves the address, not the key: the key in force stays until the new
    # one is proved by email (and a moderator approves, the upload being unsigned).
    stored = plugin("GET", "addresses/cris@example.com/key").json()
    assert (stored["fingerprint"], stored["confirmed"]) == (gpg_keys.cris_fingerprint, True)
    [challenge] = queued("key confirm")
    assert challenge.msgdata["recipients"] == {"cris@example.com"}
    page = client.get(URL).content.decode()
    assert f"key {gpg_keys.cris_new_fingerprint} waiting for confirmation" in page
