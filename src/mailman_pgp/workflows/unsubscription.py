"""Leaving a PGP list: Mailman's unsubscription workflow, confirmed by the member's key.

Whatever the list's unsubscription policy, a request to leave is confirmed unless an
administrator pre-confirmed it: the token goes encrypted to the member's confirmed key,
to be answered signed by it. A member without a confirmed key (set by an administrator
through REST without one) is asked as Mailman asks.
"""

from __future__ import annotations

from mailman.app.subscriptions import UnSubscriptionWorkflow
from mailman.interfaces.subscriptions import TokenOwner
from public import public
from zope.component import getUtility

from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.workflows.subscription import (
    AWAITING_CONFIRMATION,
    send_encrypted_confirmation,
)


@public
class PGPUnSubscriptionWorkflow(UnSubscriptionWorkflow):
    """See the module: Mailman's `UnSubscriptionWorkflow`, confirmed by the member's key."""

    def _step_confirmation_checks(self) -> None:
        if self.pre_confirmed:
            super()._step_confirmation_checks()
        else:
            self.push("send_confirmation")

    def _step_send_confirmation(self) -> None:
        key = getUtility(IPGPAddressKeyManager).get(self.address.email)
        if key is None or not key.confirmed:
            super()._step_send_confirmation()
            return
        self._set_token(TokenOwner.subscriber)
        self.push(AWAITING_CONFIRMATION)
        self.save()
        send_encrypted_confirmation(self, "leave the list")
        raise StopIteration
