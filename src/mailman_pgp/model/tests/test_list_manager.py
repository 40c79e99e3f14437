# Test that the list manager (the IPGPListManager utility) stores a PGP list's key pair protected,
# finds it by list ID, opens it once per process, and that the key pair goes with its list.

from datetime import datetime

import pytest
from mailman.app.lifecycle import create_list, remove_list
from mailman.config import config
from mailman.database.transaction import transaction
from sqlalchemy import select
from zope.component import getUtility
from zope.interface.verify import verifyObject

from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_pgp.model import PGPListManager, PGPMailingList
from mailman_pgp.model.withheld_notice import PGPWithheldNotice
from mailman_pgp.openpgp import KeyParseError, SecretKey, generate_key


@pytest.fixture
def key():
    return generate_key("Ant <ant@example.com>")


def lists() -> IPGPListManager:
    return getUtility(IPGPListManager)


def store_list(list_id: str, key: SecretKey) -> PGPMailingList:
    with transaction():
        pgp_list = lists().create(list_id, key)
    return pgp_list


def test_the_manager_and_its_lists_provide_their_interfaces(mailman, key):
    assert isinstance(lists(), PGPListManager)
    assert verifyObject(IPGPListManager, lists())
    assert verifyObject(IPGPMailingList, store_list("ant.example.com", key))


def test_found_by_list_id(mailman, key):
    store_list("ant.example.com", key)
    found = lists().get("ant.example.com")
    assert found.fingerprint == key.fingerprint
    assert found.certificate().fingerprint == key.fingerprint
    assert found.public_key == key.certificate.armor


def test_a_list_that_is_not_pgp_is_none(mailman, key):
    store_list("ant.example.com", key)
    assert lists().get("bee.example.com") is None


def test_all_is_ordered_by_list_id(mailman, key):
    store_list("cat.example.com", key)
    store_list("ant.example.com", generate_key("Ant <ant@example.com>"))
    assert [row.list_id for row in lists().lists] == [
        "ant.example.com",
        "cat.example.com",
    ]


def test_secret_key_opens_with_the_plugins_passphrase(mailman, key):
    store_list("ant.example.com", key)
    secret = lists().secret_key(lists().get("ant.example.com"))
    assert secret.fingerprint == key.fingerprint


def test_the_stored_secret_key_is_protected(mailman, key):
    store_list("ant.example.com", key)
    stored = lists().get("ant.example.com").protected_secret_key
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
    assert lists().get("ant.example.com") is None


def test_deleting_another_list_keeps_the_key_pair(mailman, key):
    with transaction():
        create_list("ant@example.com")
        other = create_list("bee@example.com")
    store_list("ant.example.com", key)
    with transaction():
        remove_list(other)
    assert lists().get("ant.example.com").fingerprint == key.fingerprint


def test_a_new_list_does_not_inherit_a_key_pair_left_behind(mailman, key):
    store_list("ant.example.com", key)
    with transaction():
        mlist = create_list("ant@example.com")
    assert lists().get("ant.example.com") is None
    assert mlist.posting_chain == "default-posting-chain"


def test_the_secret_key_is_opened_once_per_process(mailman, key):
    store_list("ant.example.com", key)
    pgp_list = lists().get("ant.example.com")
    assert lists().secret_key(pgp_list) is lists().secret_key(pgp_list)


def test_a_replaced_key_pair_is_opened_afresh(mailman, key):
    pgp_list = store_list("ant.example.com", key)
    first = lists().secret_key(pgp_list)
    other = generate_key("Ant <ant@example.com>")
    with transaction():
        pgp_list.protected_secret_key = other.protect(pgp_config().key_passphrase)
    assert first.fingerprint == key.fingerprint
    assert lists().secret_key(pgp_list).fingerprint == other.fingerprint


def test_a_key_no_passphrase_of_the_process_or_its_files_opens_is_refused(mailman, key):
    pgp_list = store_list("ant.example.com", key)
    with transaction():
        pgp_list.protected_secret_key = key.protect("not the passphrase")
    with pytest.raises(KeyParseError, match="wrong passphrase"):
        PGPListManager("nor this one").secret_key(pgp_list)


def test_a_manager_whose_passphrase_fails_opens_with_what_the_file_holds(mailman, key):
    # A process that started before a rotation of the passphrase finished.
    pgp_list = store_list("ant.example.com", key)
    manager = PGPListManager("the passphrase before a rotation")
    assert manager.secret_key(pgp_list).fingerprint == key.fingerprint


def test_delete_forgets_the_key_pair_and_ignores_a_list_without_one(mailman, key):
    store_list("ant.example.com", key)
    with transaction():
        lists().delete("ant.example.com")
        lists().delete("bee.example.com")
    assert lists().get("ant.example.com") is None


def test_deleting_the_list_forgets_its_withheld_notices_only(mailman, key):
    with transaction():
        mlist = create_list("ant@example.com")
        create_list("bee@example.com")
    store_list(mlist.list_id, key)
    sent = datetime(2026, 11, 30)
    with transaction():
        for list_id in ("ant.example.com", "bee.example.com"):
            config.db.store.add(PGPWithheldNotice(list_id, "cris@example.com", sent))
    with transaction():
        remove_list(mlist)
    left = config.db.store.execute(select(PGPWithheldNotice.list_id)).scalars().all()
    assert left == ["bee.example.com"]
