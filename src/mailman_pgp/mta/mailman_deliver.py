"""Mailman's own ``deliver()``, run with a delivery agent of the plugin's.

Mailman 3.3's ``mailman.mta.deliver.deliver`` picks its agent itself (``Deliver()`` or
``BulkDelivery(max_recipients)``, classes it looks up in its module's globals) and
takes no other. All else it does, a PGP list's mail needs as much as any other: the
``[logging.smtp]`` lines (``every``, ``success``, ``refused``, ``failure``), closing the
connection, the 552 rule, `SomeRecipientsFailed`. So `deliver_with` runs that very
function with the names of its agent classes bound to the plugin's agent in a copy of
its globals: nothing of Mailman's is patched, and any other caller gets Mailman's own
agents as before.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message
from types import FunctionType
from typing import Any

from mailman.interfaces.bounce import BounceContext, IBounceProcessor
from mailman.interfaces.mta import IMailTransportAgentDelivery, SomeRecipientsFailed
from mailman.mta.base import BaseDelivery
from mailman.mta.deliver import deliver as mailman_deliver
from mailman.runners.outgoing import OutgoingRunner
from public import public
from zope.component import getUtility

from mailman_pgp.mta.encrypted_delivery import Undeliverable


@public
def deliver_with(agent: BaseDelivery, mlist, msg: Message, msgdata: dict[str, Any]) -> None:
    """Deliver ``msg`` by Mailman's ``deliver()`` with ``agent``, and retry the plugin's way.

    Permanent failures are registered as bounces here and only the temporary ones are
    raised (`SomeRecipientsFailed`) for the out runner to retry: Mailman 3.3.10's runner,
    given both kinds at once, queues its bounce notice for the retry instead of ``msg``
    (it reuses its ``msg`` variable). A probe's failures go to the runner unchanged; it
    retries no probe.
    """
    retry_only_temporary(_mailman_deliver_by(agent), mlist, msg, msgdata)


@public
def retry_only_temporary(deliver: Callable[..., object], mlist, msg: Message,
                         msgdata: dict[str, Any]) -> None:
    """Call ``deliver``, registering permanent failures as bounces and raising the rest.

    See `deliver_with`; for a ``deliver`` callable of Mailman's shape (the site's own
    ``[mta] outgoing``).
    """
    try:
        deliver(mlist, msg, msgdata)
    except SomeRecipientsFailed as failed:
        if "probe_token" in msgdata:
            raise
        for recipient, code, smtp_message in failed.permanent_failures:
            _register_bounce(mlist, recipient, code, smtp_message)
        if failed.temporary_failures:
            raise SomeRecipientsFailed(failed.temporary_failures, []) from failed


def _mailman_deliver_by(agent: BaseDelivery) -> Callable[..., None]:
    """Mailman's ``deliver()`` with each agent class it names standing for ``agent``."""
    namespace = dict(mailman_deliver.__globals__)
    agent_classes = [
        name for name in mailman_deliver.__code__.co_names
        if isinstance(namespace.get(name), type)
        and IMailTransportAgentDelivery.implementedBy(namespace[name])
    ]
    if not agent_classes:
        raise Undeliverable(
            "This Mailman's deliver() names no delivery agent the PGP plugin can stand in"
            " for; the plugin does not support this version of Mailman.")
    for name in agent_classes:
        namespace[name] = lambda *args, **kws: agent
    return FunctionType(mailman_deliver.__code__, namespace, mailman_deliver.__name__,
                        mailman_deliver.__defaults__, mailman_deliver.__closure__)


def _register_bounce(mlist, recipient: str, code: int, smtp_message: str | bytes) -> None:
    """Register a permanent failure with the DSN Mailman's out runner would have made."""
    # _fake_dsn uses nothing of the runner it belongs to.
    dsn = OutgoingRunner._fake_dsn(None, mlist, recipient, code, smtp_message)
    getUtility(IBounceProcessor).register(mlist, recipient, dsn, BounceContext.normal)
