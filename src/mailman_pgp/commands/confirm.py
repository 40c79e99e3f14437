"""Mailman's ``confirm`` command, with PGP lists' confirmations checked against the member's key.

A token of a PGP list's workflow is confirmed only by a mail signed with the key of the
address it was sent to (the token itself travelled encrypted to that key). Only a token
whose workflow waits for that confirmation (`AWAITING_CONFIRMATION`) is answered: one that
waits for a key, for the proof of a key or for a moderator is not, since Mailman's own
``confirm`` would resume any workflow past the step it waits at. A ``key sign``
confirmation is checked once more by that command (`confirm_certification`). Tokens of
other lists, and held-message confirmations, go to Mailman's own command unchanged.
Mailman aborts its start when two commands share a name, so the plugin does not add a
``confirm`` of its own: `install_confirm` puts a `PGPConfirm` wrapping Mailman's
instance in Mailman's registry of commands, in the plugin's ``post_hook``.
"""

from __future__ import annotations

from typing import Any

from mailman.config import config
from mailman.interfaces.command import ContinueProcessing, IEmailCommand
from mailman.interfaces.member import AlreadySubscribedError, MembershipIsBannedError
from mailman.interfaces.subscriptions import ISubscriptionManager
from public import public
from zope.component import getUtility
from zope.interface import alsoProvides

from mailman_pgp.commands.key_sign import confirm_certification
from mailman_pgp.commands.mail import current_mail
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.workflows.key_sign import KEY_SIGN
from mailman_pgp.workflows.subscription import AWAITING_CONFIRMATION
from mailman_pgp.workflows.tokens import TokenNotValid, awaited_step, pending


@public
class PGPConfirm:
    """Mailman's ``confirm`` (``wrapped``), checking PGP lists' tokens against keys."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.name = wrapped.name
        self.argument_description = wrapped.argument_description
        self.description = wrapped.description
        self.short_description = getattr(wrapped, "short_description", wrapped.description)

    def process(self, mlist, msg, msgdata, arguments, results) -> ContinueProcessing:
        """See `IEmailCommand`."""
        if getUtility(IPGPListManager).get(mlist.list_id) is None:
            return ContinueProcessing(self.wrapped.process(mlist, msg, msgdata, arguments,
                                                           results))
        if not arguments:
            # A reply's subject ("Re: confirm") carries no token: the body does.
            return ContinueProcessing.yes
        token = arguments[0]
        try:
            record = pending(token)
        except TokenNotValid as error:
            print(error, file=results)
            return ContinueProcessing.no
        if record.get("type") == "held message":
            return ContinueProcessing(self.wrapped.process(mlist, msg, msgdata, arguments,
                                                           results))
        if awaited_step(token) != AWAITING_CONFIRMATION:
            print(f"The token {token} is not answered with confirm; use the line the list"
                  " sent you.", file=results)
            return ContinueProcessing.no
        key = getUtility(IPGPAddressKeyManager).get(str(record.get("email")))
        if key is None or not key.confirmed:
            if record.get("type") == KEY_SIGN:
                print("The key that certified the list's key is not confirmed any more."
                      " Nothing was changed.", file=results)
                return ContinueProcessing.no
            # Not a key holder's token: Mailman's confirmation, as on any list.
            return ContinueProcessing(self.wrapped.process(mlist, msg, msgdata, arguments,
                                                           results))
        mail = current_mail()
        certificate = key.certificate()
        if mail is None or not mail.signed_by(certificate):
            print(f"Your confirmation must be signed by your key {certificate.fingerprint}."
                  " Nothing was changed: the token is still good.", file=results)
            return ContinueProcessing.no
        if record.get("type") == KEY_SIGN:
            return confirm_certification(mlist, token, record, results)
        try:
            ISubscriptionManager(mlist).resume(token)
        except LookupError:
            print(f"The token {token} is not valid any more. Nothing was changed.",
                  file=results)
            return ContinueProcessing.no
        except (AlreadySubscribedError, MembershipIsBannedError) as error:
            print(error, file=results)
            return ContinueProcessing.no
        print("Confirmed", file=results)
        return ContinueProcessing.no


@public
def install_confirm() -> None:
    """Put a `PGPConfirm` around Mailman's ``confirm`` in Mailman's commands, once."""
    stock = config.commands["confirm"]
    if not isinstance(stock, PGPConfirm):
        wrapper = PGPConfirm(stock)
        alsoProvides(wrapper, IEmailCommand)
        config.commands["confirm"] = wrapper
