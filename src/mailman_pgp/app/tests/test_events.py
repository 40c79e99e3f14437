# Test that the plugin's event handlers are subscribed once per process.

from zope import event

from mailman_pgp.app import events


def test_the_handlers_are_subscribed_once_per_process(mailman):
    events.initialize()
    events.initialize()
    assert [s for s in event.subscribers if s in events.SUBSCRIBERS] == events.SUBSCRIBERS
