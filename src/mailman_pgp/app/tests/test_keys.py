# Test that an address's key is validated, stored, replaced, updated (revoked) and removed.

import pytest
from mailman.database.transaction import transaction
from mailman.testing.helpers import configuration
from zope.component import getUtility

from mailman_pgp.app.keys import (
    InvalidEmail,
    NoAddressKey,
    NothingToRevoke,
    delete_address_key,
    set_address_key,
)
from mailman_pgp.config import load_pgp_config
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
