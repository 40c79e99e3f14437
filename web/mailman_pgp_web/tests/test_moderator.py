"""The moderators' page: a request to join a PGP list, shown with the subscriber's key,
approved through Mailman's REST."""

from __future__ import annotations

import pytest
from django.urls import reverse
from mailmanclient import Client

from mailman_pgp_web.tests.conftest import make_user
from mailman_pgp_web.tests.helpers import make_pgp_list, set_confirmed_key

pytestmark = [pytest.mark.django_db, pytest.mark.mailman]


def test_moderator_sees_the_key_of_a_request_and_approves_it(client, crypto_list,
                                                            mailman_client: Client, gpg_keys):
    make_pgp_list("crypto.example.com")
    crypto_list.settings["subscription_policy"] = "moderate"
    crypto_list.settings.save()
    crypto_list.add_moderator("mo@example.com")
    set_confirmed_key("bart@example.com", gpg_keys.bart)
    pending = crypto_list.subscribe("bart@example.com", pre_verified=True,
                                    pre_confirmed=True)
    assert pending["token_owner"] == "moderator"
    client.force_login(make_user("mo@example.com"))
    url = reverse("mailman_pgp_web:moderator", args=["crypto.example.com"])

    page = client.get(url)
    assert page.status_code == 200
    [shown] = page.context["requests"]
    assert shown["email"] == "bart@example.com"
    assert shown["key"].fingerprint == gpg_keys.bart_fingerprint
    text = page.content.decode()
    assert gpg_keys.bart_fingerprint in text and "Bart Person &lt;bart@example.com&gt;" in text
    assert 'download="bart@example.com.asc"' in text

    approved = client.post(url, {"token": pending["token"], "action": "accept"})
    assert approved.status_code == 302
    member = mailman_client.get_list("crypto.example.com").get_member("bart@example.com")
    assert member.role == "member"
    assert client.get(url).context["requests"] == []


def test_a_member_is_not_let_in(client, crypto_list):
    make_pgp_list("crypto.example.com")
    crypto_list.subscribe("cris@example.com", pre_verified=True, pre_confirmed=True,
                          pre_approved=True)
    client.force_login(make_user("cris@example.com"))
    url = reverse("mailman_pgp_web:moderator", args=["crypto.example.com"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"token": "x", "action": "accept"}).status_code == 403
