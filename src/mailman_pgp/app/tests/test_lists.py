# Test that making a list a PGP list generates its key, switches its chain and pipeline, and
# announces the new key.

import pytest
from mailman.app.lifecycle import create_list
from mailman.database.transaction import transaction
from mailman.testing.helpers import event_subscribers
from zope.component import getUtility

from mailman_pgp.app.lists import (
    POSTING_CHAIN,
    POSTING_PIPELINE,
    AlreadyPGPList,
    list_user_id,
    make_pgp_list,
)
from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.events import ListKeyCreatedEvent
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import SecretKey


@pytest.fixture
def mlist(mailman):
    with transaction():
        mlist = create_list("ant@example.com")
        mlist.display_name = "Ant Colony"
    return mlist


def test_the_list_gets_a_key_with_its_name_and_both_its_addresses(mlist):
    with transaction():
        pgp_list = make_pgp_list(mlist)
    certificate = getUtility(IPGPListManager).get("ant.example.com").certificate()
    assert certificate.fingerprint == pgp_list.fingerprint
    # Both addresses a client may look the list key up by (WKD, keyservers); GnuPG shows
    # the posting address first, as the primary user ID.
    assert set(certificate.user_ids) == {"Ant Colony <ant@example.com>",
                                         "Ant Colony <ant-request@example.com>"}


def test_the_list_posts_through_the_pgp_chain_and_pipeline(mlist):
    with transaction():
        make_pgp_list(mlist)
    assert mlist.posting_chain == POSTING_CHAIN == "pgp-posting-chain"
    assert mlist.posting_pipeline == POSTING_PIPELINE == "pgp-posting-pipeline"


def test_the_secret_key_is_stored_protected_with_the_passphrase(mlist):
    with transaction():
        pgp_list = make_pgp_list(mlist)
    opened = SecretKey.unprotect(pgp_list.protected_secret_key, pgp_config().key_passphrase)
    assert opened.fingerprint == pgp_list.fingerprint


def test_the_new_key_is_announced_by_the_list_and_its_fingerprint(mlist):
    seen = []
    with event_subscribers(seen.append), transaction():
        pgp_list = make_pgp_list(mlist)
    [event] = [e for e in seen if isinstance(e, ListKeyCreatedEvent)]
    assert (event.mlist, event.fingerprint) == (mlist, pgp_list.fingerprint)


def test_a_pgp_list_cannot_be_made_again(mlist):
    with transaction():
        first = make_pgp_list(mlist)
    seen = []
    with event_subscribers(seen.append), pytest.raises(
            AlreadyPGPList, match="ant.example.com is already a PGP list"):
        make_pgp_list(mlist)
    assert not [e for e in seen if isinstance(e, ListKeyCreatedEvent)]
    assert getUtility(IPGPListManager).get("ant.example.com").fingerprint == first.fingerprint


def test_other_lists_keep_mailmans_chain_and_pipeline(mlist):
    with transaction():
        other = create_list("bee@example.com")
        make_pgp_list(mlist)
    assert other.posting_chain == "default-posting-chain"
    assert other.posting_pipeline == "default-posting-pipeline"
    assert getUtility(IPGPListManager).get("bee.example.com") is None


@pytest.mark.parametrize(
    ("display_name", "user_id"),
    [
        pytest.param("Ant Colony", "Ant Colony <ant@example.com>", id="plain"),
        pytest.param("Ants <all>", "Ants all <ant@example.com>", id="angle-brackets"),
        pytest.param("", "<ant@example.com>", id="empty"),
    ],
)
def test_user_id_of_a_list(mlist, display_name, user_id):
    mlist.display_name = display_name
    assert list_user_id(mlist) == user_id


def test_the_list_gets_its_archiver_rows_before_any_runner_asks(mlist):
    from mailman.config import config
    from mailman.model.mailinglist import ListArchiver

    with transaction():
        make_pgp_list(mlist)
    config.db.store.rollback()
    names = [row.name for row in config.db.store.query(ListArchiver).filter(
        ListArchiver.mailing_list == mlist)]
    assert sorted(names) == sorted(archiver.name for archiver in config.archivers)
