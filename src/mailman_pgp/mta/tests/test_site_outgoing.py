# Test that the site's own [mta] outgoing callable is recorded as configured before the plugin,
# never as the plugin's own, and resolved as Mailman's out runner resolves it.

import pytest
from mailman.mta.deliver import deliver as mailman_deliver

from mailman_pgp.mta.site_outgoing import (
    OUTGOING,
    STOCK_OUTGOING,
    remember_site_outgoing,
    site_outgoing,
    site_outgoing_name,
)


@pytest.fixture
def recorded():
    before = site_outgoing_name()
    yield
    remember_site_outgoing(before)


def test_the_test_process_recorded_mailmans_stock_deliver(mailman):
    assert site_outgoing_name() == STOCK_OUTGOING
    assert site_outgoing() is mailman_deliver


def test_the_sites_callable_is_resolved_by_its_dotted_name(recorded):
    remember_site_outgoing(" mailman_pgp.mta.tests.test_site_outgoing.site_deliver\n")
    assert site_outgoing_name() == "mailman_pgp.mta.tests.test_site_outgoing.site_deliver"
    assert site_outgoing() is site_deliver


def test_the_plugins_own_callable_is_never_recorded_as_the_sites(recorded):
    remember_site_outgoing("mailman_pgp.mta.tests.test_site_outgoing.site_deliver")
    # pre_hook run again, after the plugin's own callable was pushed.
    remember_site_outgoing(OUTGOING)
    assert site_outgoing_name() == "mailman_pgp.mta.tests.test_site_outgoing.site_deliver"


def site_deliver(mlist, msg, msgdata):
    """A site's own outgoing callable."""
