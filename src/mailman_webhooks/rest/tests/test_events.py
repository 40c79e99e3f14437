# Test that the catch-up feed answers the recorded events after a sequence number, oldest
# first, in bounded pages, filtered by event name and endpoint, each exactly as delivery sent
# it to an endpoint without include_secrets; and that it names every bad request.

from __future__ import annotations

import pytest
from mailman.app.lifecycle import create_list
from mailman.database.transaction import transaction
from mailman.interfaces.domain import IDomainManager
from mailman.interfaces.mailinglist import SubscriptionPolicy
from mailman.interfaces.subscriptions import ISubscriptionManager
from mailman.interfaces.usermanager import IUserManager
from zope.component import getUtility

from mailman_webhooks import feed
from mailman_webhooks.rest.tests.helpers import api, api_error, local
from mailman_webhooks.tests.conftest import run_until
from mailman_webhooks.tests.helpers import add_domain, deliveries, events, fan_out

pytestmark = pytest.mark.mailman


@pytest.fixture
def domains(configure, receiver):
    """alpha gets every Domain event of three domains (six events)."""
    configure(local("alpha", receiver.url))
    for name in ("one", "two", "three"):
        add_domain(f"{name}.example.org")
    return receiver


def sequences(content: dict) -> list[int]:
    return [entry["sequence"] for entry in content["entries"]]


def test_feed_pages_through_the_events_in_sequence_order(rest_url, domains):
    every = [event.sequence for event in events()]
    assert len(every) == 6
    first, _ = api(rest_url, "events?limit=4")
    assert sequences(first) == every[:4]
    assert (first["next_after"], first["more"]) == (every[3], True)
    rest, _ = api(rest_url, f"events?after={first['next_after']}&limit=4")
    assert sequences(rest) == every[4:]
    assert (rest["next_after"], rest["more"]) == (every[5], False)
    empty, _ = api(rest_url, f"events?after={every[5]}")
    assert (empty["entries"], empty["next_after"], empty["more"]) == ([], every[5], False)
    whole, _ = api(rest_url, "events")
    assert sequences(whole) == every


def test_entries_are_the_bodies_delivery_sent(rest_url, domains, runner):
    run_until(runner, lambda: len(domains.requests) == 6)
    content, _ = api(rest_url, "events")
    sent = sorted(domains.events(), key=lambda body: body["sequence"])
    assert content["entries"] == sent


def test_feed_filters_by_event_names_and_endpoint(rest_url, configure, receiver):
    configure(local("alpha", receiver.url) + local("beta", receiver.url, "DomainCreatedEvent"))
    for name in ("one", "two"):
        with transaction():  # not add_domain, which fans out at once
            getUtility(IDomainManager).add(f"{name}.example.org")
    rows = events()
    created = [e.sequence for e in rows if e.name == "DomainCreatedEvent"]
    content, _ = api(rest_url, "events?event=DomainCreatedEvent")
    assert sequences(content) == created
    both, _ = api(rest_url, "events?event=DomainCreatedEvent&event=DomainCreatingEvent")
    assert sequences(both) == [e.sequence for e in rows]
    # Which events were due to beta is known once they are fanned out: until then the
    # page ends before the first of them, so a consumer going on from it misses none.
    waiting, _ = api(rest_url, "events?endpoint=beta")
    assert (sequences(waiting), waiting["more"]) == ([], False)
    fan_out()
    beta, _ = api(rest_url, "events?endpoint=beta")
    assert sequences(beta) == created
    alpha, _ = api(rest_url, "events?endpoint=alpha&event=DomainCreatingEvent&limit=1")
    assert sequences(alpha) == [rows[0].sequence]
    assert alpha["more"] is True


def test_feed_never_shows_secrets_nor_pings(rest_url, configure, receiver):
    needed = "SubscriptionConfirmationNeededEvent"
    configure(local("alpha", receiver.url, needed) + "include_secrets: yes\n")
    with transaction():
        mlist = create_list("tok@example.com")
        mlist.subscription_policy = SubscriptionPolicy.confirm
    with transaction():
        address = getUtility(IUserManager).create_address("cat@example.com")
        token, _, _ = ISubscriptionManager(mlist).register(address)
    api(rest_url, "endpoints/alpha/ping", method="POST", json={})
    assert {d.event.name for d in deliveries()} == {needed, "WebhookPingEvent"}
    content, _ = api(rest_url, "events")
    (entry,) = content["entries"]
    assert entry["name"] == needed
    assert entry["event"]["token"] is None
    assert token not in repr(content)


@pytest.mark.parametrize(
    "query, description",
    [
        ("after=-1", "Invalid after: '-1'; give a sequence number from 0"),
        ("after=x", "Invalid after: 'x'; give a sequence number from 0"),
        ("limit=0", f"Invalid limit: '0'; give a whole number from 1 to {feed.MAX_PAGE}"),
        ("limit=1001", f"Invalid limit: '1001'; give a whole number from 1 to {feed.MAX_PAGE}"),
        ("event=List.*", "Invalid event: 'List.*'; give an event class name such as "
                         "SubscriptionEvent"),
        ("endpoint=gamma", "Unknown endpoint: gamma"),
        ("count=10&page=1", "Unknown query parameters: count, page"),
    ],
    ids=["negative", "not-a-number", "limit-zero", "limit-too-big", "pattern", "endpoint",
         "paging"],
)
def test_bad_queries_are_named(rest_url, query, description):
    assert api_error(rest_url, f"events?{query}") == (400, description)


def test_nothing_below_the_feed(rest_url):
    code, _reason = api_error(rest_url, "events/1")
    assert code == 404
