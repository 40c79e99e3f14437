# Test that a PGP list's key pair is stored protected, found by list ID, and goes with its list.

import pytest
from mailman.app.lifecycle import create_list, remove_list
from mailman.config import config
from mailman.database.transaction import transaction

from mailman_pgp.config import pgp_config
from mailman_pgp.model import PGPMailingList
from mailman_pgp.openpgp import KeyParseError, SecretKey, generate_key


@pytest.fixture
def key():
    return generate_key("Ant <ant@example.com>")


def store_list(list_id: str, key: SecretKey) -> PGPMailingList:
    with transaction():
        pgp_list = PGPMailingList(list_id, key, pgp_config().key_passphrase)
        config.db.store.add(pgp_list)
    return pgp_list


def test_found_by_list_id(mailman, key):
    store_list("ant.example.com", key)
    found = PGPMailingList.for_list_id("ant.example.com")
    assert found.fingerprint == key.fingerprint
    assert found.certificate().fingerprint == key.fingerprint
    assert found.public_key == key.certificate.armor


def test_a_list_that_is_not_pgp_is_none(mailman, key):
    store_list("ant.example.com", key)
    assert PGPMailingList.for_list_id("bee.example.com") is None


def test_all_is_ordered_by_list_id(mailman, key):
    store_list("cat.example.com", key)
    store_list("ant.example.com", generate_key("Ant <ant@example.com>"))
    assert [row.list_id for row in PGPMailingList.all()] == [
        "ant.example.com",
        "cat.example.com",
    ]


def test_secret_key_opens_with_the_plugins_passphrase(mailman, key):
    store_list("ant.example.com", key)
    secret = PGPMailingList.for_list_id("ant.example.com").secret_key()
    assert secret.fingerprint == key.fingerprint


def test_the_stored_secret_key_is_protected(mailman, key):
    store_list("ant.example.com", key)
    stored = PGPMailingList.for_list_id("ant.example.com").protected_secret_key
    assert b"PRIVATE KEY BLOCK" not in stored
    with pytest.raises(KeyParseError):
        SecretKey.unprotect(stored, "not the passphrase")


def test_repr_names_list_and_fingerprint_only(mailman, key):
    pgp_list = store_list("ant.example.com", key)
    assert repr(pgp_list) == f"<PGPMailingList ant.example.com {key.fingerprint}>"


def test_deleting_the_list_deletes_its_key_pair(mailman, key):
    with transaction():
        mlist = create_list("ant@example.com")
    store_list(mlist.list_id, key)
    with transaction():
        remove_list(mlist)
    assert PGPMailingList.for_list_id("ant.example.com") is None


def test_deleting_another_list_keeps_the_key_pair(mailman, key):
    with transaction():
        create_list("ant@example.com")
        other = create_list("bee@example.com")
    store_list("ant.example.com", key)
    with transaction():
        remove_list(other)
    assert PGPMailingList.for_list_id("ant.example.com").fingerprint == key.fingerprint


def test_a_new_list_does_not_inherit_a_key_pair_left_behind(mailman, key):
    store_list("ant.example.com", key)
    with transaction():
        mlist = create_list("ant@example.com")
    assert PGPMailingList.for_list_id("ant.example.com") is None
    assert mlist.posting_chain == "default-posting-chain"


def test_the_secret_key_is_opened_once_per_process(mailman, key):
    store_list("ant.example.com", key)
    pgp_list = PGPMailingList.for_list_id("ant.example.com")
    assert pgp_list.secret_key() is pgp_list.secret_key()


def test_a_replaced_key_pair_is_opened_afresh(mailman, key):
    pgp_list = store_list("ant.example.com", key)
    first = pgp_list.secret_key()
    other = generate_key("Ant <ant@example.com>")
    with transaction():
        pgp_list.protected_secret_key = other.protect(pgp_config().key_passphrase)
    assert first.fingerprint == key.fingerprint
    assert pgp_list.secret_key().fingerprint == other.fingerprint
