# Test that Mailman's own deliver() runs with the plugin's agent without changing Mailman for
# anyone else, and that a Mailman whose deliver() names no agent class fails closed.

from email import message_from_bytes

import pytest
from mailman.app.lifecycle import create_list
from mailman.database.transaction import transaction
from mailman.email.message import Message
from mailman.mta import deliver as mailmans_module
from mailman.mta.bulk import BulkDelivery
from mailman.mta.deliver import Deliver

import mailman_pgp.mta.mailman_deliver as mailman_deliver
from mailman_pgp.mta.encrypted_delivery import Undeliverable
from mailman_pgp.mta.mailman_deliver import deliver_with

POST = (b"From: anne@example.com\nTo: plain@example.com\nSubject: Hi\n"
        b"Message-ID: <agent@example.com>\n\ntext\n")


class RecordingAgent:
    """An agent that sends nothing and keeps the recipients it was given."""

    def __init__(self):
        self.given = []
        self._connection = self

    def deliver(self, mlist, msg, msgdata):
        self.given.append(msgdata["recipients"])
        return {}

    def quit(self):
        pass


@pytest.mark.parametrize("verp", [False, True], ids=["bulk", "individual"])
def test_the_agent_stands_in_for_whichever_agent_mailman_picks(mailman, verp):
    with transaction():
        mlist = create_list("plain@example.com")
    agent = RecordingAgent()
    deliver_with(agent, mlist, message_from_bytes(POST, Message),
                 {"recipients": {"anne@example.com"}, "verp": verp})
    assert agent.given == [{"anne@example.com"}]
    assert list(mailman.messages) == []
    assert mailmans_module.Deliver is Deliver
    assert mailmans_module.BulkDelivery is BulkDelivery


def test_a_mailman_whose_deliver_names_no_agent_class_fails_closed(monkeypatch):
    def deliver(mlist, msg, msgdata):
        msgdata["sent"] = True

    monkeypatch.setattr(mailman_deliver, "mailman_deliver", deliver)
    msgdata = {"recipients": {"anne@example.com"}}
    with pytest.raises(Undeliverable, match="does not support this version of Mailman"):
        deliver_with(RecordingAgent(), None, message_from_bytes(POST, Message), msgdata)
    assert "sent" not in msgdata
