# Test that an address's key is validated, stored, replaced, updated (revoked) and removed,
# and that each change is announced by the key event that says what changed, per PGP list.

from contextlib import contextmanager

import pytest
from mailman.app.lifecycle import create_list
from mailman.database.transaction import transaction
from mailman.interfaces.member import MemberRole
from mailman.interfaces.usermanager import IUserManager
from mailman.testing.helpers import configuration, event_subscribers
from zope.component import getUtility

from mailman_pgp.app.keys import (
    InvalidEmail,
    NoAddressKey,
    NothingToRevoke,
    delete_address_key,
    set_address_key,
)
from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.config import load_pgp_config
from mailman_pgp.interfaces.events import (
    KeyChangedEvent,
    KeyConfirmedEvent,
    KeyRevokedEvent,
    KeySetEvent,
)
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.openpgp import RevocationRefused, UserIDMismatch, generate_key
from mailman_pgp.testing.gnupg import GnuPGClient


@pytest.fixture
def anne_key():
    return generate_key("Anne <anne@example.com>")


@pytest.fixture
def anne_gpg():
    """Anne's own gpg, with her key and the revocation certificate gpg made for it."""
    client = GnuPGClient()
    client.generate("Anne <anne@example.com>")
    yield client
    client.close()


def revocation_of(client: GnuPGClient) -> str:
    """The revocation certificate gpg made with the client's key, armor line unguarded."""
    return client.revocation_certificate(client.fingerprint()).replace(":-----", "-----")


def test_a_valid_key_is_stored(mailman, anne_key):
    with transaction():
        set_address_key("Anne@Example.com", anne_key.certificate.armor, confirmed=True)
    key = getUtility(IPGPAddressKeyManager).get("anne@example.com")
    assert (key.email, key.fingerprint, key.confirmed) == (
        "anne@example.com",
        anne_key.fingerprint,
        True,
    )


def test_setting_again_replaces_the_key(mailman, anne_key):
    second = generate_key("Anne <anne@example.com>")
    with transaction():
        set_address_key("anne@example.com", anne_key.certificate.armor, confirmed=True)
        set_address_key("anne@example.com", second.certificate.armor, confirmed=False)
    key = getUtility(IPGPAddressKeyManager).get("anne@example.com")
    assert (key.fingerprint, key.confirmed) == (second.fingerprint, False)


def test_a_key_without_the_address_is_refused(mailman):
    other = generate_key("Bart <bart@example.com>")
    with pytest.raises(UserIDMismatch, match="anne@example.com"):
        set_address_key("anne@example.com", other.certificate.armor, confirmed=True)
    assert getUtility(IPGPAddressKeyManager).get("anne@example.com") is None


def test_user_id_check_can_be_turned_off(mailman, tmp_path):
    site = tmp_path / "pgp.cfg"
    site.write_text("[keys]\nrequire_user_id: no\n")
    other = generate_key("Bart <bart@example.com>")
    try:
        with configuration("plugin.pgp", configuration=str(site)):
            load_pgp_config("pgp")
            with transaction():
                set_address_key("anne@example.com", other.certificate.armor, confirmed=True)
    finally:
        load_pgp_config("pgp")
    key = getUtility(IPGPAddressKeyManager).get("anne@example.com")
    assert key.fingerprint == other.fingerprint


def test_an_invalid_address_is_refused(mailman, anne_key):
    with pytest.raises(InvalidEmail, match="'not an address' is not a valid email address"):
        set_address_key("not an address", anne_key.certificate.armor, confirmed=True)


def test_delete_removes_the_key(mailman, anne_key):
    with transaction():
        set_address_key("anne@example.com", anne_key.certificate.armor, confirmed=True)
    with transaction():
        delete_address_key("ANNE@example.com")
    assert getUtility(IPGPAddressKeyManager).get("anne@example.com") is None


def test_delete_without_a_key_says_so(mailman):
    with pytest.raises(NoAddressKey, match="No key is registered for anne@example.com"):
        delete_address_key("anne@example.com")


def test_a_revocation_updates_the_key_and_keeps_its_confirmed_flag(mailman, anne_gpg):
    with transaction():
        set_address_key("anne@example.com", anne_gpg.export(), confirmed=False)
    with transaction():
        set_address_key("anne@example.com", revocation_of(anne_gpg), confirmed=True)
    key = getUtility(IPGPAddressKeyManager).get("anne@example.com")
    assert (key.fingerprint, key.confirmed) == (anne_gpg.fingerprint(), False)
    assert key.certificate().revoked


def test_a_revocation_without_a_key_has_nothing_to_revoke(mailman, anne_gpg):
    with pytest.raises(NothingToRevoke, match="nothing to revoke") as raised:
        set_address_key("anne@example.com", revocation_of(anne_gpg), confirmed=True)
    assert isinstance(raised.value, NoAddressKey)
    assert getUtility(IPGPAddressKeyManager).get("anne@example.com") is None


def test_a_revocation_by_another_key_leaves_the_key_alone(mailman, anne_gpg):
    bart = GnuPGClient()
    try:
        bart.generate("Bart <bart@example.com>")
        bart_revocation = revocation_of(bart)
    finally:
        bart.close()
    with transaction():
        set_address_key("anne@example.com", anne_gpg.export(), confirmed=True)
    with pytest.raises(RevocationRefused):
        set_address_key("anne@example.com", bart_revocation, confirmed=True)
    assert not getUtility(IPGPAddressKeyManager).get("anne@example.com").certificate().revoked


# --- What each change announces --------------------------------------------------------------

KEY_EVENTS = (KeySetEvent, KeyConfirmedEvent, KeyChangedEvent, KeyRevokedEvent)


@contextmanager
def announced():
    """The key events fired inside the block: (name, list ID or None, email, fingerprint)."""
    seen = []

    def record(event):
        if isinstance(event, KEY_EVENTS):
            list_id = None if event.mlist is None else event.mlist.list_id
            seen.append((type(event).__name__, list_id, event.email, event.fingerprint))

    with event_subscribers(record):
        yield seen


@pytest.fixture
def anne_on_lists(mailman):
    """anne@example.com on two PGP lists (member of bee, owner of ant) and a plain list."""
    with transaction():
        address = getUtility(IUserManager).create_address("anne@example.com")
        for name, role in [("bee", MemberRole.member), ("ant", MemberRole.owner),
                           ("cat", MemberRole.member)]:
            mlist = create_list(f"{name}@example.com")
            if name != "cat":
                make_pgp_list(mlist)
            mlist.subscribe(address, role)
    return ["ant.example.com", "bee.example.com"]


def test_a_new_key_is_set_then_confirmed_on_each_pgp_list_of_the_address(
        anne_on_lists, anne_key):
    with announced() as seen, transaction():
        set_address_key("Anne@example.com", anne_key.certificate.armor, confirmed=True)
    fingerprint = anne_key.fingerprint
    assert seen == [
        ("KeySetEvent", "ant.example.com", "anne@example.com", fingerprint),
        ("KeySetEvent", "bee.example.com", "anne@example.com", fingerprint),
        ("KeyConfirmedEvent", "ant.example.com", "anne@example.com", fingerprint),
        ("KeyConfirmedEvent", "bee.example.com", "anne@example.com", fingerprint),
    ]


def test_a_key_of_an_address_on_no_pgp_list_is_announced_without_a_list(mailman, anne_key):
    with announced() as seen, transaction():
        set_address_key("anne@example.com", anne_key.certificate.armor, confirmed=True)
    assert seen == [
        ("KeySetEvent", None, "anne@example.com", anne_key.fingerprint),
        ("KeyConfirmedEvent", None, "anne@example.com", anne_key.fingerprint),
    ]


def test_a_key_not_confirmed_is_only_set(anne_on_lists, anne_key):
    with announced() as seen, transaction():
        set_address_key("anne@example.com", anne_key.certificate.armor, confirmed=False)
    assert [(name, list_id) for name, list_id, *_ in seen] == [
        ("KeySetEvent", "ant.example.com"), ("KeySetEvent", "bee.example.com")]


@pytest.mark.parametrize(("first_confirmed", "second_confirmed", "names"), [
    pytest.param(True, True, ["KeyChangedEvent"], id="confirmed-by-confirmed"),
    pytest.param(True, False, ["KeySetEvent"], id="confirmed-by-unconfirmed"),
    pytest.param(False, True, ["KeySetEvent", "KeyConfirmedEvent"],
                 id="unconfirmed-by-confirmed"),
    pytest.param(False, False, ["KeySetEvent"], id="unconfirmed-by-unconfirmed"),
])
def test_a_replacement_is_announced_with_the_new_fingerprint(
        mailman, anne_key, first_confirmed, second_confirmed, names):
    second = generate_key("Anne <anne@example.com>")
    with transaction():
        set_address_key("anne@example.com", anne_key.certificate.armor,
                        confirmed=first_confirmed)
    with announced() as seen, transaction():
        set_address_key("anne@example.com", second.certificate.armor, confirmed=second_confirmed)
    assert seen == [(name, None, "anne@example.com", second.fingerprint) for name in names]


def test_a_recorded_revocation_is_announced_once(anne_on_lists, anne_gpg):
    with transaction():
        set_address_key("anne@example.com", anne_gpg.export(), confirmed=True)
    with announced() as seen, transaction():
        set_address_key("anne@example.com", revocation_of(anne_gpg), confirmed=True)
    fingerprint = anne_gpg.fingerprint()
    assert seen == [
        ("KeyRevokedEvent", "ant.example.com", "anne@example.com", fingerprint),
        ("KeyRevokedEvent", "bee.example.com", "anne@example.com", fingerprint),
    ]
    # The same revocation again records nothing new.
    with announced() as seen, transaction():
        set_address_key("anne@example.com", revocation_of(anne_gpg), confirmed=True)
    assert seen == []


def test_a_revoked_subkey_is_announced_with_the_keys_fingerprint(mailman, anne_gpg):
    fingerprint = anne_gpg.fingerprint()
    with transaction():
        set_address_key("anne@example.com", anne_gpg.export(), confirmed=True)
    # gpg --edit-key: select the encryption subkey, revoke it (no reason), save.
    anne_gpg.run("--command-fd", "0", "--edit-key", fingerprint,
                 input="key 1\nrevkey\ny\n0\n\ny\nsave\n")
    with announced() as seen, transaction():
        set_address_key("anne@example.com", anne_gpg.export(), confirmed=True)
    assert seen == [("KeyRevokedEvent", None, "anne@example.com", fingerprint)]


def test_an_update_that_revokes_nothing_announces_nothing(mailman, anne_gpg):
    fingerprint = anne_gpg.fingerprint()
    with transaction():
        set_address_key("anne@example.com", anne_gpg.export(), confirmed=True)
    anne_gpg.run("--quick-set-expire", fingerprint, "3y")
    with announced() as seen, transaction():
        set_address_key("anne@example.com", anne_gpg.export(), confirmed=True)
    assert seen == []
    assert getUtility(IPGPAddressKeyManager).get("anne@example.com").certificate().expires


def test_a_refused_key_announces_nothing(anne_on_lists, anne_key):
    other = generate_key("Bart <bart@example.com>")
    with announced() as seen, pytest.raises(UserIDMismatch):
        set_address_key("anne@example.com", other.certificate.armor, confirmed=True)
    assert seen == []
