"""Joining a PGP list: Mailman's subscription workflow, with the key steps put in.

Mailman's steps stay (sanity checks, verification, confirmation, moderation,
subscription); before verification the list makes sure the address has a confirmed key:

* ``key_checks``: an address with a confirmed key goes on as in Mailman, except that its
  confirmation is a token encrypted to that key (``send_confirmation``), to be answered
  signed by it. So does a subscription an administrator pre-verified and pre-confirmed.
  Any other address is asked for its key.
* ``request_key``: a request whose subject holds ``key set <TOKEN>``; the workflow waits
  for the `key` command to store the key (unconfirmed) and resume it.
* ``key_received``: a challenge encrypted to that key holds ``key confirm <TOKEN>``; the
  workflow waits for the `key` command to check the signed answer, confirm the key and
  resume it.
* ``key_confirmed``: proof of the key, of the address and of the wish to join at once;
  the workflow goes on with Mailman's moderation and subscription.

Whatever the list's subscription policy, a request is confirmed (by the key's proof, or
by the encrypted token) unless an administrator pre-confirmed it.
"""

from __future__ import annotations

from typing import Any

from mailman.app.subscriptions import SubscriptionWorkflow, WhichSubscriber
from mailman.interfaces.subscriptions import TokenOwner
from mailman.utilities.datetime import now
from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.workflows.notices import send_challenge, send_confirmation, send_key_request
from mailman_pgp.workflows.wording import describe_lifetime

# The steps at which the workflow waits for the person, and what resumes it.
AWAITING_KEY = "key_received"
AWAITING_KEY_PROOF = "key_confirmed"
AWAITING_CONFIRMATION = "do_confirm_verify"


@public
class PGPSubscriptionWorkflow(SubscriptionWorkflow):
    """See the module: Mailman's `SubscriptionWorkflow`, with a proved key first."""

    def _step_sanity_checks(self) -> None:
        super()._step_sanity_checks()
        # Mailman would verify next; the key comes first.
        self._next.clear()
        self.push("key_checks")

    def _step_key_checks(self) -> None:
        key = getUtility(IPGPAddressKeyManager).get(self.address.email)
        if key is not None and key.confirmed or self.pre_verified and self.pre_confirmed:
            self.push("verification_checks")
        else:
            self.push("request_key")

    def _step_request_key(self) -> None:
        self._set_token(TokenOwner.subscriber)
        self.push(AWAITING_KEY)
        self.save()
        send_key_request(self.mlist, self.address.email, self.token)
        raise StopIteration

    def _step_key_received(self) -> None:
        key = getUtility(IPGPAddressKeyManager).get(self.address.email)
        assert key is not None, "resumed without a key"
        self._set_token(TokenOwner.subscriber)
        self.push(AWAITING_KEY_PROOF)
        self.save()
        send_challenge(self.mlist, self.address.email, self.token, key.certificate(),
                       describe_lifetime(pgp_config().confirmation_lifetime))
        raise StopIteration

    def _step_key_confirmed(self) -> None:
        self._restore_subscriber()
        self._set_token(TokenOwner.no_one)
        if self.address.verified_on is None:
            self.address.verified_on = now()
        # Proving the key also proved the address and the wish to join.
        self.pre_verified = True
        self.pre_confirmed = True
        self.push("verification_checks")

    def _step_confirmation_checks(self) -> None:
        # On a PGP list a request to join is confirmed whatever the subscription
        # policy, unless an administrator pre-confirmed it (or a proved key did).
        if self.pre_confirmed:
            super()._step_confirmation_checks()
        else:
            self.push("send_confirmation")

    def _step_send_confirmation(self) -> None:
        self._set_token(TokenOwner.subscriber)
        self.push(AWAITING_CONFIRMATION)
        self.save()
        send_encrypted_confirmation(self, "join the list")
        raise StopIteration

    def _step_send_invitation(self) -> None:
        # An invitation is confirmed like a request to join, encrypted to the key.
        self._step_send_confirmation()

    def _restore_subscriber(self) -> None:
        # As Mailman's steps do after a restore: which one was subscribing.
        self.subscriber = self.address if self.which is WhichSubscriber.address else self.user


@public
def send_encrypted_confirmation(workflow: Any, action: str) -> None:
    """Send ``workflow``'s token for ``action`` to its address, encrypted to its key."""
    key = getUtility(IPGPAddressKeyManager).get(workflow.address.email)
    assert key is not None and key.confirmed, "a confirmation without a confirmed key"
    send_confirmation(workflow.mlist, workflow.address.email, workflow.token,
                      key.certificate(), action,
                      describe_lifetime(pgp_config().confirmation_lifetime))
