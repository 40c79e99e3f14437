"""Fixtures of the app's tests: the suite's real Mailman REST (both plugins) behind the
Django test client, users with verified addresses, keys made by a real GnuPG."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache
from mailmanclient import Client


@dataclass(frozen=True)
class Keys:
    """Subscribers' public keys as GnuPG exports them."""

    bart: str
    bart_fingerprint: str
    cris: str
    cris_fingerprint: str
    # A second key of Cris's, for a key change.
    cris_new: str
    cris_new_fingerprint: str


@pytest.fixture(scope="session")
def gpg_keys():
    from mailman_pgp.testing.gnupg import GnuPGClient

    gpg = GnuPGClient()
    try:
        bart = gpg.generate("Bart Person <bart@example.com>", expire="2y")
        cris = gpg.generate("Cris Person <cris@example.com>", expire="2y")
        cris_new = gpg.generate("Cris Person (new) <cris@example.com>", expire="2y")
        yield Keys(bart=gpg.export(bart), bart_fingerprint=bart,
                   cris=gpg.export(cris), cris_fingerprint=cris,
                   cris_new=gpg.export(cris_new), cris_new_fingerprint=cris_new)
    finally:
        gpg.close()


@pytest.fixture
def mailman_client(rest_url, settings):
    """mailmanclient on this test's Mailman, which the app's settings point to as well."""
    from mailman.config import config

    base = rest_url("").rstrip("/")
    settings.MAILMAN_REST_API_URL = base
    settings.MAILMAN_REST_API_USER = config.webservice.admin_user
    settings.MAILMAN_REST_API_PASS = config.webservice.admin_pass
    # Each test has a fresh Mailman database: nothing cached from another test.
    cache.clear()
    return Client(f"{base}/3.1", config.webservice.admin_user, config.webservice.admin_pass)


@pytest.fixture
def crypto_list(mailman_client):
    """The Mailman list crypto@example.com (not a PGP list yet)."""
    domain = mailman_client.get_domain("example.com")
    return domain.create_list("crypto")


def make_user(email: str, *, superuser: bool = False):
    """A Django user whose only address, ``email``, is verified (as allauth records it)."""
    user = get_user_model().objects.create_user(
        username=email.split("@")[0], email=email, password="pw", is_superuser=superuser)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user
