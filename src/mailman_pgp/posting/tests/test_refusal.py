# Test that a refusal reason lands where Mailman's reject chain reads it and formats it.

from email.message import Message

from mailman.core.i18n import format_reasons

from mailman_pgp.posting.refusal import refuse


class _Post(Message):
    sender = "anne@example.com"


def test_reasons_are_formatted_by_mailman_with_their_values():
    msgdata = {}
    refuse(msgdata, _Post(), "Your key {} has expired.", "ABCD")
    refuse(msgdata, _Post(), "Not encrypted.")
    assert msgdata["moderation_sender"] == "anne@example.com"
    assert format_reasons(msgdata["moderation_reasons"]) == [
        "Your key ABCD has expired.",
        "Not encrypted.",
    ]


def test_values_are_not_read_as_templates():
    msgdata = {}
    refuse(msgdata, _Post(), "Signed by {}.", "{0} $sender")
    assert format_reasons(msgdata["moderation_reasons"]) == ["Signed by {0} $sender."]
