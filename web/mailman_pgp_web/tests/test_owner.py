"""The owner's tab: make a list a PGP list and see its key, its settings (saved through
REST, refusals at the field), the members' key states, and the log of key events."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mailman_pgp_web.forms import PGPListSettingsForm
from mailman_pgp_web.tests.conftest import make_user
from mailman_pgp_web.tests.helpers import make_pgp_list, plugin, set_confirmed_key
from mailman_pgp_web.tests.test_webhooks import envelope, post

pytestmark = [pytest.mark.django_db, pytest.mark.mailman]


@pytest.fixture
def owner_client(client, crypto_list):
    crypto_list.add_owner("anne@example.com")
    client.force_login(make_user("anne@example.com"))
    return client


def owner_url(list_id="crypto.example.com"):
    return reverse("mailman_pgp_web:owner", args=[list_id])


def test_owner_makes_the_list_a_pgp_list_and_sees_its_key(owner_client):
    before = owner_client.get(owner_url())
    assert before.status_code == 200
    assert b"Make it a PGP list" in before.content
    assert plugin("GET", "lists/crypto.example.com").status_code == 404

    made = owner_client.post(owner_url(), {"make_pgp": "1"})
    assert made.status_code == 302

    key = plugin("GET", "lists/crypto.example.com/key").json()
    page = owner_client.get(owner_url()).content.decode()
    assert key["fingerprint"] in page
    assert f">{key['algorithm']}<" in page
    assert key["created"][:10] in page
    download = owner_client.get(reverse("mailman_pgp_web:public_key_file",
                                        args=["crypto.example.com"]))
    assert download.content.decode() == key["public_key"]
    assert download["Content-Type"] == "application/pgp-keys"


def test_owner_changes_a_setting_through_rest(owner_client):
    make_pgp_list("crypto.example.com")
    current = plugin("GET", "lists/crypto.example.com").json()
    form = PGPListSettingsForm(
        {name: value for name, value in current.items()
         if name not in ("list_id", "fingerprint", "posting_chain", "posting_pipeline",
                         "http_etag") and not name.endswith("_link")})
    data = {}
    for name in form.fields:
        value = current[name]
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    assert current["key_signers"] != "members"
    data["key_signers"] = "members"
    response = owner_client.post(owner_url(), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert plugin("GET", "lists/crypto.example.com").json()["key_signers"] == "members"


def test_a_refusal_of_rest_is_shown_at_its_field():
    form = PGPListSettingsForm({"key_signers": "administrators", "sign_outgoing": True},
                               {"key_signers": "members"})
    assert form.is_valid()
    form.refused('Invalid Parameter "key_signers": Accepted Values are: nobody.')
    assert form.errors["key_signers"] == [
        'Invalid Parameter "key_signers": Accepted Values are: nobody.']
    form.refused("Unexpected parameters: frobnicate")
    assert form.non_field_errors() == ["Unexpected parameters: frobnicate"]


def test_members_key_states_follow_key_events(owner_client, crypto_list, gpg_keys):
    make_pgp_list("crypto.example.com")
    set_confirmed_key("bart@example.com", gpg_keys.bart)
    for email in ("bart@example.com", "cris@example.com"):
        crypto_list.subscribe(email, pre_verified=True, pre_confirmed=True,
                              pre_approved=True)
    first = owner_client.get(owner_url())
    counts = first.context["member_keys"].counts
    assert counts == {"confirmed": 1, "waiting": 0, "expired": 0, "revoked": 0, "none": 1}
    assert gpg_keys.bart_fingerprint in first.content.decode()

    set_confirmed_key("cris@example.com", gpg_keys.cris)
    # What the page showed is kept until an event says it changed.
    assert owner_client.get(owner_url()).context["member_keys"].counts["none"] == 1
    event = envelope("KeyConfirmedEvent")
    event["event"]["email"] = "cris@example.com"
    assert post(owner_client, event).status_code == 200
    after = owner_client.get(owner_url())
    assert after.context["member_keys"].counts == {
        "confirmed": 2, "waiting": 0, "expired": 0, "revoked": 0, "none": 0}
    log = after.content.decode().split('class="table table-sm key-events"')[1]
    assert "KeyConfirmedEvent" in log and "cris@example.com" in log


def test_event_log_shows_only_this_lists_key_events(owner_client, client):
    make_pgp_list("crypto.example.com")
    mine, others, not_a_key_event = (envelope("KeyRevokedEvent"),
                                     envelope("KeySetEvent", "other.example.com"),
                                     envelope("ListCreatedEvent"))
    for body in (mine, others, not_a_key_event):
        assert post(client, body).status_code == 200
    events = owner_client.get(owner_url()).context["events"]
    assert [event.event_id for event in events] == [mine["id"]]
