"""Mailman's digest runner, building a PGP list's digests from its posts opened in memory.

Mailman's ``DigestRunner._dispose`` reads the list's collected posts from an MMDF
mailbox, builds the MIME and the plain (RFC 1153) digest with Mailman's digesters, works
out who gets which, queues each digest in the ``virgin`` queue and removes the mailbox.
For a PGP list that very function runs with two names of its module bound otherwise, in a
copy of its globals (nothing of Mailman's is patched): ``Mailbox`` opens each post in
memory as it is read, and ``config.switchboards['virgin']`` seals each digest to the list
key before queueing it. Delivery (`mailman_pgp.mta.digest_delivery`) opens the digest
once and sends each digest member a copy signed by the list and encrypted to their key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from email.message import Message
from types import FunctionType
from typing import Any

from mailman.config import config
from mailman.runners.digest import DigestRunner
from mailman.utilities.mailbox import Mailbox
from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_pgp.mime import content_entity, envelope_headers
from mailman_pgp.posting.at_rest import SEALED_TO_LIST, readable_post, seal, sealed_digest

# What the plugin pushes as ``[runner.digest] class``.
RUNNER_CLASS = "mailman_pgp.runners.digest.PGPDigestRunner"

log = logging.getLogger("mailman.error")


@public
class DigestNotBuilt(PGPError):
    """The digest of a PGP list cannot be built here; its mailbox stays for another try."""


@public
class PGPDigestRunner(DigestRunner):
    """See Mailman's `DigestRunner`; a PGP list's digests are built in memory and sealed.

    A post the list cannot open is left out of the digest and logged; when none can be
    opened the runner fails, so the trigger is shunted and the mailbox kept.
    """

    def _dispose(self, mlist, msg, msgdata: dict[str, Any]) -> bool:
        pgp_list = None if mlist is None else getUtility(IPGPListManager).get(mlist.list_id)
        if pgp_list is None:
            return bool(super()._dispose(mlist, msg, msgdata))
        return bool(_digest_runner_dispose(pgp_list, mlist.list_id)(self, mlist, msg, msgdata))


def _digest_runner_dispose(pgp_list: IPGPMailingList, list_id: str) -> Callable[..., Any]:
    """Mailman's ``DigestRunner._dispose`` reading opened posts and queueing sealed digests."""
    dispose = DigestRunner._dispose
    names = dispose.__code__.co_names
    if "Mailbox" not in names or "config" not in names:
        raise DigestNotBuilt(
            "This Mailman's digest runner reads its mailbox otherwise than the PGP plugin"
            " knows; the plugin does not support this version of Mailman.")
    namespace = dict(dispose.__globals__)
    namespace["Mailbox"] = lambda path: _OpenedPosts(path, pgp_list, list_id)
    namespace["config"] = _SealingConfig(pgp_list)
    return FunctionType(dispose.__code__, namespace, dispose.__name__, dispose.__defaults__,
                        dispose.__closure__)


class _OpenedPosts:
    """The digest's mailbox, as Mailman's runner uses it, each post opened in memory once."""

    def __init__(self, path: str, pgp_list: IPGPMailingList, list_id: str) -> None:
        self._mailbox = Mailbox(path)
        self._pgp_list = pgp_list
        self._list_id = list_id
        self._opened: list[tuple[str, Message]] | None = None

    def __enter__(self) -> _OpenedPosts:
        self._mailbox.__enter__()
        return self

    def __exit__(self, *exc: object) -> bool:
        return bool(self._mailbox.__exit__(*exc))

    def iteritems(self) -> Iterator[tuple[str, Message]]:
        """Each post the list can open, opened: Mailman's runner goes through them twice."""
        if self._opened is None:
            self._opened = list(self._open_all())
            if not self._opened:
                raise DigestNotBuilt(
                    f"No post in the digest of {self._list_id} could be opened; the digest"
                    " is kept.")
        return iter(self._opened)

    def _open_all(self) -> Iterator[tuple[str, Message]]:
        settings = pgp_config()
        key = getUtility(IPGPListManager).secret_key(self._pgp_list)
        for mailbox_key, post in self._mailbox.iteritems():
            try:
                yield mailbox_key, readable_post(
                    post, key, sop=settings.sop(), max_plaintext=settings.max_plaintext_size,
                    mime_limits=settings.mime_limits)
            except PGPError as error:
                log.error("Post %s is left out of the digest of %s, the list cannot open it: "
                          "%s", post.get("message-id", "n/a").strip(), self._list_id,
                          type(error).__name__)


class _SealingConfig:
    """Mailman's ``config`` as the digest runner uses it, its ``virgin`` queue sealing."""

    def __init__(self, pgp_list: IPGPMailingList) -> None:
        self.switchboards = {"virgin": _SealingSwitchboard(pgp_list)}

    def __getattr__(self, name: str) -> Any:
        return getattr(config, name)


class _SealingSwitchboard:
    """The ``virgin`` queue, given each digest sealed to the list key, its envelope outside."""

    def __init__(self, pgp_list: IPGPMailingList) -> None:
        self._pgp_list = pgp_list

    def enqueue(self, _msg: Message, _metadata: dict[str, Any] | None = None,
                **_kws: Any) -> str:
        sealed = seal(content_entity(_msg).as_bytes(), [self._pgp_list.certificate()],
                      envelope_headers(_msg))
        return config.switchboards["virgin"].enqueue(
            sealed, _metadata, **_kws, **{SEALED_TO_LIST: sealed_digest(sealed)})
