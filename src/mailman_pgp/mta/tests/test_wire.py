# Test that a wire copy is the bytes SMTP sends, unchanged, and answers the header lookups
# Mailman's delivery code makes as the message it was copied from.

from email import message_from_bytes

from mailman.email.message import Message

from mailman_pgp.mta.wire import WireCopy

POST = b"From: anne@example.com\nSubject: Hello\nMessage-ID: <1@example.com>\n\nbody\n"
DATA = b"Subject: Hello\r\nMessage-ID: <1@example.com>\r\n\r\n.hidden dot\r\nciphertext\r\n"


def test_a_wire_copy_is_its_bytes():
    copy = WireCopy(DATA, message_from_bytes(POST, Message))
    # Mailman's Connection.sendmail sends bytes as they are, a Message generated anew.
    assert isinstance(copy, bytes)
    assert copy == DATA
    assert copy[0] == DATA[0]
    assert copy[-2:] == b"\r\n"
    assert len(copy) == len(DATA)


def test_a_wire_copy_answers_header_lookups_as_the_original():
    copy = WireCopy(DATA, message_from_bytes(POST, Message))
    assert copy["message-id"] == "<1@example.com>"
    assert copy.get("Message-ID").strip() == "<1@example.com>"
    assert copy.get("X-Missing", "n/a") == "n/a"
    assert copy["X-Missing"] is None

