# Test that a PGP list's members are listed with the state of their key, and counted.

from __future__ import annotations

from urllib.error import HTTPError

import pytest
from mailman.app.lifecycle import create_list
from mailman.database.transaction import transaction
from mailman.interfaces.member import MemberRole
from mailman.interfaces.usermanager import IUserManager
from mailman.testing.helpers import call_api
from zope.component import getUtility

from mailman_pgp.app.keys import set_address_key
from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.openpgp import generate_key


def test_members_with_their_key_state_and_counts(mailman_rest, rest_url, gpg_keys):
    users = getUtility(IUserManager)
    with transaction():
        mlist = create_list("ant@example.com")
        make_pgp_list(mlist)
        for email in ("anne@example.com", "bart@example.com", "dave@example.com",
                      "ella@example.com", "carol@example.com"):
            mlist.subscribe(users.create_address(email))
        # An owner is not a member.
        mlist.subscribe(users.create_address("owen@example.com"), MemberRole.owner)
        set_address_key("anne@example.com", gpg_keys.anne, confirmed=True)
        # The revocation certificate anne's GnuPG made, recorded on her key.
        set_address_key("anne@example.com", gpg_keys.anne_revocation, confirmed=True)
        set_address_key("bart@example.com", gpg_keys.bart, confirmed=True)
        set_address_key("dave@example.com", generate_key(
            "Dave <dave@example.com>").certificate.armor, confirmed=False)
    content, _ = call_api(rest_url("3.1/plugins/pgp/lists/ant.example.com/member-keys"))
    states = {entry["email"]: entry["state"] for entry in content["entries"]}
    assert states == {"anne@example.com": "revoked", "bart@example.com": "confirmed",
                      "carol@example.com": "none", "dave@example.com": "waiting",
                      "ella@example.com": "none"}
    assert content["counts"] == {"confirmed": 1, "waiting": 1, "expired": 0, "revoked": 1,
                                 "none": 2}
    assert content["total_size"] == 5


def test_paging_and_lists_that_are_not_pgp(mailman_rest, rest_url):
    with transaction():
        mlist = create_list("ant@example.com")
        make_pgp_list(mlist)
        for email in ("a@example.com", "b@example.com", "c@example.com"):
            mlist.subscribe(getUtility(IUserManager).create_address(email))
        create_list("bee@example.com")
    url = rest_url("3.1/plugins/pgp/lists/ant.example.com/member-keys")
    content, _ = call_api(url + "?count=2&page=2")
    assert [entry["email"] for entry in content["entries"]] == ["c@example.com"]
    assert (content["start"], content["total_size"], content["counts"]["none"]) == (2, 3, 3)
    for bad, status in ((url + "?count=2", 400),
                        (rest_url("3.1/plugins/pgp/lists/bee.example.com/member-keys"), 404),
                        (rest_url("3.1/plugins/pgp/lists/cow.example.com/member-keys"), 404)):
        with pytest.raises(HTTPError) as caught:
            call_api(bad)
        assert caught.value.code == status


def test_a_key_past_its_expiry_is_expired(mailman, gpg_keys):
    from datetime import UTC, datetime, timedelta

    from mailman_pgp.rest.member_keys import MemberKeyState, key_state

    with transaction():
        key = set_address_key("bart@example.com", gpg_keys.bart, confirmed=True)
        now = datetime.now(UTC)
        assert key_state(key, now) is MemberKeyState.confirmed
        # gpg_keys made bart's key to expire in two years.
        assert key_state(key, now + timedelta(days=800)) is MemberKeyState.expired
