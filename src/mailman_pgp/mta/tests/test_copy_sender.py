# Test that the copy sender hands copies over in the order given from a thread of its own,
# returns every refused recipient, holds no more than DEPTH copies waiting, raises a
# failure of its thread to the caller and sends nothing after it, and lets a caller's
# error through once the copies queued before it were sent.

import threading
from email.message import Message

import pytest

from mailman_pgp.mta.copy_sender import DEPTH, CopySender
from mailman_pgp.mta.wire import WireCopy

TIMEOUT = 30


def copy(number: int) -> WireCopy:
    original = Message()
    original["Message-ID"] = f"<{number}@example.com>"
    return WireCopy(f"copy {number}".encode(), original)


class Server:
    """What the sender's thread hands copies to: it records them, from which thread, and
    refuses the recipients named in ``refuse``."""

    def __init__(self, refuse=(), fail_at=None) -> None:
        self.taken: list[tuple[bytes, str, str]] = []
        self.threads: set[str] = set()
        self.refuse = set(refuse)
        self.fail_at = fail_at

    def send_one(self, wire: WireCopy, envelope_sender: str, recipient: str):
        self.threads.add(threading.current_thread().name)
        if len(self.taken) == self.fail_at:
            raise RuntimeError("the server went away in a way Mailman does not catch")
        self.taken.append((bytes(wire), envelope_sender, recipient))
        return {recipient: (550, b"No such user")} if recipient in self.refuse else {}


def test_copies_are_sent_in_order_from_another_thread_with_the_refused_recipients():
    server = Server(refuse={"m3@example.com"})
    with CopySender(server.send_one) as sender:
        for number in range(20):
            sender.send(copy(number), f"bounces+m{number}@example.com",
                        f"m{number}@example.com")
    assert sender.close() == {"m3@example.com": (550, b"No such user")}
    assert server.taken == [(f"copy {n}".encode(), f"bounces+m{n}@example.com",
                             f"m{n}@example.com") for n in range(20)]
    assert server.threads == {"pgp-copy-sender"}


def test_no_more_than_depth_copies_wait():
    release = threading.Event()
    taken = []

    def slow(wire, envelope_sender, recipient):
        assert release.wait(TIMEOUT)
        taken.append(recipient)
        return {}

    sender = CopySender(slow)
    queued = []

    def caller():
        for number in range(DEPTH + 3):
            sender.send(copy(number), "bounces@example.com", f"m{number}@example.com")
            queued.append(number)

    feeding = threading.Thread(target=caller)
    feeding.start()
    feeding.join(timeout=1)
    # One copy is with the (stalled) server, DEPTH wait; the caller waits to queue the next.
    assert feeding.is_alive()
    assert len(queued) == DEPTH + 1
    release.set()
    feeding.join(timeout=TIMEOUT)
    assert sender.close() == {}
    assert taken == [f"m{n}@example.com" for n in range(DEPTH + 3)]


def test_a_failure_in_the_thread_reaches_the_caller_and_stops_the_sending():
    server = Server(fail_at=2)
    with pytest.raises(RuntimeError, match="went away"):
        with CopySender(server.send_one) as sender:
            for number in range(50):
                sender.send(copy(number), "bounces@example.com", f"m{number}@example.com")
    assert [recipient for _, _, recipient in server.taken] == ["m0@example.com",
                                                               "m1@example.com"]


def test_the_callers_error_goes_on_after_the_copies_queued_before_it_are_sent():
    server = Server()

    class EncryptionFailed(Exception):
        pass

    with pytest.raises(EncryptionFailed):
        with CopySender(server.send_one) as sender:
            for number in range(3):
                sender.send(copy(number), "bounces@example.com", f"m{number}@example.com")
            raise EncryptionFailed
    assert len(server.taken) == 3
    assert not sender._thread.is_alive()
