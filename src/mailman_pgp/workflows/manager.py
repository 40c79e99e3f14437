"""The ``ISubscriptionManager`` of PGP lists, in the place of Mailman's for every list.

Mailman finds a list's subscription manager by adapting the list to
``ISubscriptionManager``; the plugin registers `subscription_manager` for that
adaptation in its ``post_hook``. It gives PGP lists a `PGPSubscriptionManager`, running
the PGP workflows, and every other list Mailman's own ``SubscriptionManager``.
"""

from __future__ import annotations

from typing import Any

from mailman.app.subscriptions import SubscriptionManager
from mailman.interfaces.mailinglist import IMailingList
from mailman.interfaces.pending import IPendings
from mailman.interfaces.subscriptions import ISubscriptionManager, TokenOwner
from public import public
from zope.component import getUtility
from zope.interface import implementer

from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.workflows.key_change import KEY_CHANGE, PGPKeyChangeWorkflow
from mailman_pgp.workflows.key_sign import KEY_SIGN, PGPKeySignWorkflow
from mailman_pgp.workflows.subscription import PGPSubscriptionWorkflow
from mailman_pgp.workflows.tokens import pending
from mailman_pgp.workflows.unsubscription import PGPUnSubscriptionWorkflow

_WORKFLOWS: dict[str, type[Any]] = {
    "subscription": PGPSubscriptionWorkflow,
    "unsubscription": PGPUnSubscriptionWorkflow,
    KEY_CHANGE: PGPKeyChangeWorkflow,
    KEY_SIGN: PGPKeySignWorkflow,
}


@public
def subscription_manager(mlist: IMailingList) -> Any:
    """The subscription manager of ``mlist``: the PGP one for a PGP list, else Mailman's."""
    if getUtility(IPGPListManager).get(mlist.list_id) is not None:
        return PGPSubscriptionManager(mlist)
    return SubscriptionManager(mlist)


@public
@implementer(ISubscriptionManager)
class PGPSubscriptionManager:
    """See `ISubscriptionManager`: the PGP workflows, in Mailman's way of running them."""

    def __init__(self, mlist: IMailingList) -> None:
        self._mlist = mlist

    def register(self, subscriber: Any = None, *, pre_verified: bool = False,
                 pre_confirmed: bool = False, pre_approved: bool = False,
                 invitation: bool = False, send_welcome_message: bool | None = None,
                 delivery_mode: Any = None, delivery_status: Any = None) -> tuple[Any, ...]:
        """See `ISubscriptionManager`.

        A request repeated while an earlier one of the same address waits for that
        person replaces it: the earlier token dies and a new one is sent, so replaying
        a request only ever causes a new confirmation.
        """
        self._forget_waiting_request(subscriber)
        workflow = PGPSubscriptionWorkflow(
            self._mlist, subscriber, pre_verified=pre_verified, pre_confirmed=pre_confirmed,
            pre_approved=pre_approved, invitation=invitation,
            send_welcome_message=send_welcome_message, delivery_mode=delivery_mode,
            delivery_status=delivery_status)
        list(workflow)
        return workflow.token, workflow.token_owner, workflow.member

    def unregister(self, subscriber: Any = None, *, pre_confirmed: bool = False,
                   pre_approved: bool = False) -> tuple[Any, ...]:
        """See `ISubscriptionManager`."""
        workflow = PGPUnSubscriptionWorkflow(self._mlist, subscriber,
                                             pre_confirmed=pre_confirmed,
                                             pre_approved=pre_approved)
        list(workflow)
        return workflow.token, workflow.token_owner, workflow.member

    def confirm(self, token: str | None) -> tuple[Any, ...]:
        """See `ISubscriptionManager`: a moderator's decision on ``token``.

        Mailman calls this for a moderator (its REST ``POST .../requests/<token>``, which
        lists every pending subscription); only a token waiting for a moderator is
        resumed here, any other raises ``LookupError``: a token waiting for the person is
        answered by the person, through the plugin's commands (`resume`).
        """
        if token is None:
            raise LookupError
        if pending(token).get("token_owner") != TokenOwner.moderator.name:
            raise LookupError(token)
        return self.resume(token)

    def resume(self, token: str) -> tuple[Any, ...]:
        """Resume the workflow of ``token`` where it waits; the caller checked the answer.

        The `key` and ``confirm`` commands call this once they have checked that the
        mail answering the token is signed by the key it asks for. Raises ``LookupError``
        for a token that is unknown, used or expired.
        """
        record = pending(token)
        workflow_class = _WORKFLOWS.get(str(record.get("type")))
        if workflow_class is None:
            raise LookupError(token)
        workflow = workflow_class(self._mlist)
        workflow.token = token
        workflow.restore()
        list(workflow)
        return workflow.token, workflow.token_owner, workflow.member

    def discard(self, token: str) -> None:
        """See `ISubscriptionManager`."""
        SubscriptionManager(self._mlist).discard(token)

    def _forget_waiting_request(self, subscriber: Any) -> None:
        email = getattr(subscriber, "email", None) or getattr(
            getattr(subscriber, "preferred_address", None), "email", None)
        if email is None:
            return
        found = getUtility(IPendings).find(mlist=self._mlist, pend_type="subscription")
        for token, record in list(found):
            if record["email"] == email and record["token_owner"] == TokenOwner.subscriber.name:
                self.discard(token)
