"""Sending a post's encrypted copies from a thread of their own, while the next are encrypted.

An out runner encrypts a copy (pysequoia holds the GIL) and then waits for the SMTP
server to take it (smtplib releases the GIL while it waits). Done one after the other,
the runner's core idles during every wait; with `CopySender`, the caller encrypts copy
n + 1 while a thread hands copy n to the server. A few copies wait between the two at
most (`DEPTH`), so a large post holds no more than that many copies in memory.

The thread is the only user of the delivery's SMTP connection until `CopySender.close`
returns, and it reads nothing of the database: the caller works out each copy's envelope
sender (VERP included) beforehand.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType

from public import public

from mailman_pgp.mta.wire import WireCopy

Refused = dict[str, tuple[int, str]]
# Hands one copy to the SMTP server: the copy, its envelope sender, its recipient; the
# recipients the server refused, as ``BaseDelivery._deliver_to_recipients`` returns them.
SendOne = Callable[[WireCopy, str, str], Refused]

DEPTH = 2
_DONE = None


@public
class CopySender:
    """Copies sent in the order given, by a thread of their own; a context manager.

    `send` waits while `DEPTH` copies wait to be sent. `close` (or leaving the ``with``
    block) waits until every copy given was sent and returns the refused recipients of
    all of them; an exception raised in the thread is raised there, and after it no
    further copy is sent.
    """

    def __init__(self, send_one: SendOne) -> None:
        self._send_one = send_one
        self._waiting: queue.Queue[tuple[WireCopy, str, str] | None] = queue.Queue(DEPTH)
        self._refused: Refused = {}
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pgp-copy-sender", daemon=True)
        self._thread.start()
        self._closed = False

    def send(self, copy: WireCopy, envelope_sender: str, recipient: str) -> None:
        """Queue ``copy`` for ``recipient``; raises the thread's exception if it failed."""
        if self._failure is not None:
            self.close()
        self._waiting.put((copy, envelope_sender, recipient))

    def close(self) -> Refused:
        """Wait for every copy queued to be sent; the recipients refused."""
        if not self._closed:
            self._closed = True
            self._waiting.put(_DONE)
            self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self._refused

    def __enter__(self) -> CopySender:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if error is None:
            self.close()
            return
        # The caller's error goes on; the copies it queued before are still sent, and the
        # thread has let go of the connection when this returns.
        try:
            self.close()
        except BaseException:  # noqa: BLE001 - the caller's error is the one raised
            pass

    def _run(self) -> None:
        while (item := self._waiting.get()) is not _DONE:
            if self._failure is not None:
                continue  # drained, so that `send` never waits for a thread that stopped
            copy, envelope_sender, recipient = item
            try:
                self._refused.update(self._send_one(copy, envelope_sender, recipient))
            except BaseException as error:  # noqa: BLE001 - raised again by `close`
                self._failure = error
