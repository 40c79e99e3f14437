"""Who may see what: the owner's tab for owners (and site administrators) only, the list's
public key for anyone, nothing for a list that is not a PGP list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mailman_pgp_web.tests.conftest import make_user
from mailman_pgp_web.tests.helpers import make_pgp_list, plugin

pytestmark = [pytest.mark.django_db, pytest.mark.mailman]


def test_owner_tab_refuses_others(client, crypto_list):
    make_pgp_list("crypto.example.com")
    crypto_list.add_moderator("mo@example.com")
    url = reverse("mailman_pgp_web:owner", args=["crypto.example.com"])
    assert client.get(url).status_code == 403
    client.force_login(make_user("mo@example.com"))
    assert client.get(url).status_code == 403
    assert client.post(url, {"key_signers": "nobody"}).status_code == 403
    assert plugin("GET", "lists/crypto.example.com").json()["key_signers"] != "nobody"


def test_site_administrator_sees_the_owner_tab(client, crypto_list):
    client.force_login(make_user("admin@example.com", superuser=True))
    url = reverse("mailman_pgp_web:owner", args=["crypto.example.com"])
    assert client.get(url).status_code == 200


def test_anyone_sees_the_public_key(client, crypto_list):
    make_pgp_list("crypto.example.com")
    key = plugin("GET", "lists/crypto.example.com/key").json()
    page = client.get(reverse("mailman_pgp_web:public_key", args=["crypto.example.com"]))
    assert page.status_code == 200
    assert key["fingerprint"] in page.content.decode()


def test_no_public_key_page_for_a_list_that_is_not_a_pgp_list(client, crypto_list):
    for name in ("public_key", "public_key_file"):
        assert client.get(reverse(f"mailman_pgp_web:{name}",
                                  args=["crypto.example.com"])).status_code == 404
        assert client.get(reverse(f"mailman_pgp_web:{name}",
                                  args=["nothing.example.com"])).status_code == 404
