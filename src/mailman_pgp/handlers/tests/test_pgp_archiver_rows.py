# Test that the PGP posting pipeline makes a list's missing archiver rows and commits them
# before the post goes on (so that the out and archive runners never both add them), and
# commits nothing when the list has them all.

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.model.mailinglist import ListArchiver
from mailman.testing.helpers import specialized_message_from_string

from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.handlers.pgp_archiver_rows import PGPArchiverRows, missing_archiver_rows


@pytest.fixture
def mlist(mailman):
    with transaction():
        mlist = create_list("ant@example.com")
        make_pgp_list(mlist)
    return mlist


def post():
    return specialized_message_from_string(
        "From: anne@example.com\nTo: ant@example.com\nMessage-ID: <one@example.com>\n\nx\n")


def archiver_names(mlist) -> list[str]:
    return sorted(name for (name,) in config.db.store.query(ListArchiver.name).filter(
        ListArchiver.mailing_list == mlist))


def test_a_list_without_its_rows_gets_them_committed(mlist):
    # As a list made a PGP list by an earlier version, before its first post.
    with transaction():
        config.db.store.query(ListArchiver).filter(
            ListArchiver.mailing_list == mlist).delete()
    assert missing_archiver_rows(mlist) == {archiver.name for archiver in config.archivers}
    PGPArchiverRows().process(mlist, post(), {})
    config.db.store.rollback()
    assert archiver_names(mlist) == sorted(archiver.name for archiver in config.archivers)
    assert missing_archiver_rows(mlist) == set()


def test_a_list_with_its_rows_commits_nothing(mlist):
    assert missing_archiver_rows(mlist) == set()
    mlist.display_name = "Not committed"
    PGPArchiverRows().process(mlist, post(), {})
    config.db.store.rollback()
    assert mlist.display_name != "Not committed"
