"""A member certifying the list's key by email (``key sign``), confirmed by the member's key.

The ``key sign`` command checks the certification before it starts the workflow; the
workflow keeps the list's key with that certification merged in and asks for a
confirmation, encrypted to the member's confirmed key, answered ``confirm <TOKEN>`` signed
by it (the ``confirm`` command checks that signature, and the command ``key sign``'s
module checks again who may certify). Then the certification joins the list's public key
(`IPGPMailingList.update_public_key`) and `ListKeyCertifiedEvent` is fired.
"""

from __future__ import annotations

from typing import Any

from mailman.interfaces.subscriptions import TokenOwner
from public import public
from zope.component import getUtility
from zope.event import notify

from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.events import ListKeyCertifiedEvent
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import Certificate, load_certificate
from mailman_pgp.workflows.key_workflow import KeyWorkflow
from mailman_pgp.workflows.notices import send_confirmation
from mailman_pgp.workflows.subscription import AWAITING_CONFIRMATION
from mailman_pgp.workflows.wording import describe_lifetime

KEY_SIGN = "pgp key sign"


@public
class PGPKeySignWorkflow(KeyWorkflow):
    """See the module: ``email``'s key (``fingerprint``) certified the list's key.

    ``certified_key`` is the list's public key with the certification merged in, as the
    command checked it. It waits at Mailman's confirmation step (`AWAITING_CONFIRMATION`),
    so the ``confirm`` command answers it.
    """

    PEND_TYPE = KEY_SIGN
    INITIAL_STATE = "send_confirmation"
    SAVE_ATTRIBUTES = (*KeyWorkflow.SAVE_ATTRIBUTES, "certified_key")

    def __init__(self, mlist: Any, email: str | None = None, certifier: str | None = None,
                 certified: Certificate | None = None) -> None:
        super().__init__(mlist, email, certifier)
        self.certified_key = certified.armor if certified is not None else None

    def _step_send_confirmation(self) -> None:
        assert self.email is not None, "a certification without its address"
        key = getUtility(IPGPAddressKeyManager).get(self.email)
        assert key is not None and key.confirmed, "a certification without a confirmed key"
        token = self._set_token(TokenOwner.subscriber)
        assert token is not None
        self.push(AWAITING_CONFIRMATION)
        self.save()
        send_confirmation(self.mlist, self.email, token, key.certificate(),
                          f"certify the list's key with your key {self.fingerprint}",
                          describe_lifetime(pgp_config().confirmation_lifetime))
        raise StopIteration

    def _step_do_confirm_verify(self) -> None:
        assert self.email is not None and self.fingerprint is not None, "whose certification?"
        assert self.certified_key is not None, "a certification without the certified key"
        self._set_token(TokenOwner.no_one)
        pgp_list = getUtility(IPGPListManager).get(self.mlist.list_id)
        assert pgp_list is not None, "a certification of a list that is not a PGP list"
        # The list's key as it is now (other certifications may have joined it since),
        # with this one.
        pgp_list.update_public_key(
            pgp_list.certificate().merge(load_certificate(self.certified_key)))
        notify(ListKeyCertifiedEvent(self.mlist, self.email, self.fingerprint))
