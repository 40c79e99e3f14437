"""Changing an address's key by email (``key change``): the new key proved, then in force.

The steps, each resumed by the list's ``ISubscriptionManager`` from the token's type:

* ``send_challenge``: a challenge encrypted to the new key holds ``key confirm <TOKEN>``;
  the workflow waits for the `key` command to check that the answer is signed by the new
  key. That challenge is the change's confirmation: nothing goes to the old key.
* ``new_key_proved``: if the request was signed by the key that is still the address's
  confirmed key, the change is made; otherwise a moderator must approve it first.
* ``get_moderator_approval``: a token for the moderators, who see the waiting changes
  (`waiting_key_changes`) and approve (`approve_key_change`) or reject
  (`reject_key_change`) each through REST; the list's administrators are told.
* ``change_key``: the new key becomes the address's confirmed key; `KeyChangedEvent`.
  The same key as the one held (sent again with a new subkey or expiry) is merged with
  it, so that no revocation the list knows of is lost; the person's `key confirm` and the
  moderator's approval check first that what comes out can be used
  (`key_in_force_after`).

Until then the old key stays in force. The new key is kept in the workflow's saved state,
public half only (the command refuses a secret key). A replayed ``key change`` starts
another workflow, whose challenge only the holder of the key it carries can answer; and
whether the request was signed by the current key is judged again when the key is proved,
so a request signed by a key that has been replaced since needs a moderator.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailman.config import config
from mailman.email.message import UserNotification
from mailman.interfaces.pending import IPendings
from mailman.interfaces.subscriptions import ISubscriptionManager, TokenOwner
from mailman.model.workflow import WorkflowState
from public import public
from zope.component import getUtility
from zope.event import notify

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.i18n import N_, translate
from mailman_pgp.interfaces.events import KeyChangedEvent
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.openpgp import Certificate, load_certificate
from mailman_pgp.workflows.key_workflow import KeyWorkflow
from mailman_pgp.workflows.notices import send_challenge
from mailman_pgp.workflows.wording import describe_lifetime

log = logging.getLogger("mailman.subscribe")

KEY_CHANGE = "pgp key change"
# The steps at which the workflow waits: for the proof of the new key (the `key confirm`
# command resumes it), and for a moderator.
AWAITING_NEW_KEY_PROOF = "new_key_proved"
AWAITING_APPROVAL = "change_approved"

MODERATORS_NOTICE = N_("""\
{email} asks to change their OpenPGP key on the {list} mailing list
from {current} to {fingerprint}.

They proved that they hold the new key, but the request was not signed by
their current confirmed key, so the change waits for a moderator. Until then
the current key stays in force. Approve or reject it in the list's web
interface, or through the PGP plugin's REST API: lists/{list_id}/key-changes.
""")

APPROVED = N_("""\
A moderator of the {list} mailing list approved your new OpenPGP key
{fingerprint}. From now on the list encrypts to it, and accepts your posts
signed by it.
""")

REJECTED = N_("""\
A moderator of the {list} mailing list did not approve your new OpenPGP key
{fingerprint}. {kept}

Reason: {reason}
""")


@public
class KeyChangeNotWaiting(PGPError, LookupError):
    """No key change of the list waits for a moderator under this token."""

    def __init__(self, list_id: str, token: str) -> None:
        super().__init__(f"No key change on {list_id} waits for approval under {token}.")
        self.token = token


@public
class PGPKeyChangeWorkflow(KeyWorkflow):
    """See the module: ``email``'s new key, proved, approved if need be, then in force.

    ``signed_by`` is the fingerprint of the confirmed key that signed the request, None
    when it was not signed by one.
    """

    PEND_TYPE = KEY_CHANGE
    INITIAL_STATE = "send_challenge"
    SAVE_ATTRIBUTES = (*KeyWorkflow.SAVE_ATTRIBUTES, "public_key", "signed_by", "approved")

    def __init__(self, mlist: Any, email: str | None = None,
                 certificate: Certificate | None = None, *,
                 signed_by: str | None = None) -> None:
        super().__init__(mlist, email,
                         certificate.fingerprint if certificate is not None else None)
        self.public_key = certificate.armor if certificate is not None else None
        self.signed_by = signed_by
        self.approved = False

    def certificate(self) -> Certificate:
        """The new key."""
        assert self.public_key is not None, "a key change without its key"
        return load_certificate(self.public_key)

    def _step_send_challenge(self) -> None:
        assert self.email is not None, "a key change without its address"
        token = self._set_token(TokenOwner.subscriber)
        assert token is not None
        self.push(AWAITING_NEW_KEY_PROOF)
        self.save()
        send_challenge(self.mlist, self.email, token, self.certificate(),
                       describe_lifetime(pgp_config().confirmation_lifetime))
        raise StopIteration

    def _step_new_key_proved(self) -> None:
        # Judged now, not when the request came: the key that signed it must still be
        # the one in force.
        current = getUtility(IPGPAddressKeyManager).get(self.email)
        if (self.signed_by is not None and current is not None and current.confirmed
                and current.fingerprint == self.signed_by):
            self.push("change_key")
        else:
            self.push("get_moderator_approval")

    def _step_get_moderator_approval(self) -> None:
        self._set_token(TokenOwner.moderator)
        self.push(AWAITING_APPROVAL)
        self.save()
        log.info("%s: key change of %s to %s waits for a moderator", self.mlist.list_id,
                 self.email, self.fingerprint)
        if self.mlist.admin_immed_notify:
            _tell_moderators(self.mlist, str(self.email), str(self.fingerprint))
        raise StopIteration

    def _step_change_approved(self) -> None:
        self.approved = True
        self.push("change_key")

    def _step_change_key(self) -> None:
        assert self.email is not None, "a key change without its address"
        self._set_token(TokenOwner.no_one)
        new = _in_force(self.email, self.certificate())
        keys = getUtility(IPGPAddressKeyManager)
        stored = keys.get(self.email)
        if stored is None:
            keys.add(self.email, new, confirmed=True)
        else:
            stored.replace(new, confirmed=True)
        notify(KeyChangedEvent(self.mlist, self.email, new.fingerprint))
        if self.approved:
            _tell_member(self.mlist, self.email, APPROVED, fingerprint=new.fingerprint)


@public
def is_key_change(token: str) -> bool:
    """Whether ``token`` was given out by a key change (used, expired or not)."""
    record = getUtility(IPendings).confirm(token, expunge=False)
    return record is not None and record.get("type") == KEY_CHANGE


@public
def challenged_key(token: str) -> Certificate:
    """The new key of the key change whose challenge ``token`` is (`LookupError` if none)."""
    return load_certificate(str(_saved(token)["public_key"]))


@public
def key_in_force_after(email: str, certificate: Certificate) -> Certificate:
    """The key of ``email`` once the change to ``certificate`` is made, judged now.

    For the same key as the one held (sent again with a new subkey or expiry), what the
    list knows of it stays, revocations above all: the two are merged. `KeyUnusable`
    when the result cannot sign and encrypt now (it expired, or was revoked meanwhile).
    """
    key = _in_force(email, certificate)
    key.check_usable()
    key.encryption_probe()
    return key


@public
@dataclass(frozen=True)
class KeyChangeRequest:
    """A key change waiting for a moderator: whose, to which key, since when."""

    token: str
    email: str
    fingerprint: str
    public_key: str
    # The address's confirmed key now, None without one.
    current: str | None
    waiting_since: datetime


@public
def waiting_key_changes(mlist: Any) -> list[KeyChangeRequest]:
    """The key changes of ``mlist`` waiting for a moderator, oldest first."""
    found = getUtility(IPendings).find(mlist=mlist, pend_type=KEY_CHANGE,
                                       token_owner=TokenOwner.moderator)
    requests = [request for token, record in found
                if (request := _request(token, record)) is not None]
    return sorted(requests, key=lambda request: (request.waiting_since, request.token))


@public
def waiting_key_change(mlist: Any, token: str) -> KeyChangeRequest:
    """The key change of ``mlist`` waiting for a moderator under ``token``.

    `KeyChangeNotWaiting` for any other token: unknown, of another list or kind, or of a
    change that waits for the person's proof (a moderator never skips that).
    """
    record = getUtility(IPendings).confirm(token, expunge=False)
    request = None
    if (record is not None and record.get("type") == KEY_CHANGE
            and record.get("list_id") == mlist.list_id
            and record.get("token_owner") == TokenOwner.moderator.name):
        request = _request(token, record)
    if request is None:
        raise KeyChangeNotWaiting(mlist.list_id, token)
    return request


@public
def approve_key_change(mlist: Any, token: str) -> KeyChangeRequest:
    """Put the key change waiting under ``token`` in force; `KeyChangeNotWaiting` if none.

    The new key is judged again (`KeyUnusable` if it expired or was revoked meanwhile:
    nothing changes, the change still waits). The caller commits.
    """
    request = waiting_key_change(mlist, token)
    key_in_force_after(request.email, load_certificate(request.public_key))
    ISubscriptionManager(mlist).confirm(token)
    return request


@public
def reject_key_change(mlist: Any, token: str, reason: str) -> KeyChangeRequest:
    """Drop the key change waiting under ``token`` and tell the person ``reason``.

    The current key stays in force. `KeyChangeNotWaiting` if no change waits under it.
    The caller commits.
    """
    request = waiting_key_change(mlist, token)
    # Forgets the token and the workflow's state.
    getUtility(IPendings).confirm(token, expunge=True)
    log.info("%s: key change of %s to %s rejected", mlist.list_id, request.email,
             request.fingerprint)
    current = getUtility(IPGPAddressKeyManager).get(request.email)
    kept = (f"Your key {current.fingerprint} stays in force."
            if current is not None and current.confirmed
            else "The list holds no confirmed key for you.")
    _tell_member(mlist, request.email, REJECTED, fingerprint=request.fingerprint, kept=kept,
                 reason=reason)
    return request


def _in_force(email: str, certificate: Certificate) -> Certificate:
    held = getUtility(IPGPAddressKeyManager).get(email)
    if held is not None and held.fingerprint == certificate.fingerprint:
        return held.certificate().merge(certificate)
    return certificate


def _saved(token: str, step: str | None = None) -> dict[str, Any]:
    """What the workflow of ``token`` saved, read in place (``IWorkflowStateManager.restore``
    would delete it); `LookupError` when it saved nothing, or waits at another step than
    ``step``."""
    state = config.db.store.get(WorkflowState, token)
    if state is None or step is not None and state.step != step:
        raise LookupError(token)
    saved: dict[str, Any] = json.loads(state.data)
    return saved


def _request(token: str, record: Any) -> KeyChangeRequest | None:
    """The change waiting for a moderator under ``token``, from its record and its
    workflow's saved state."""
    try:
        saved = _saved(token, AWAITING_APPROVAL)
    except LookupError:
        return None
    email = str(record["email"])
    current = getUtility(IPGPAddressKeyManager).get(email)
    return KeyChangeRequest(
        token=token,
        email=email,
        fingerprint=str(record["fingerprint"]),
        public_key=str(saved["public_key"]),
        current=current.fingerprint if current is not None and current.confirmed else None,
        waiting_since=datetime.fromisoformat(str(record["when"])),
    )


def _tell_moderators(mlist: Any, email: str, fingerprint: str) -> None:
    """Tell the list's owners and moderators, each encrypted to their key if they have one."""
    current = getUtility(IPGPAddressKeyManager).get(email)
    text = translate(MODERATORS_NOTICE).format(
        email=email, list=mlist.display_name, fingerprint=fingerprint,
        current=(current.fingerprint if current is not None and current.confirmed
                 else "no confirmed key"),
        list_id=mlist.list_id)
    administrators = sorted({address.email for address in mlist.administrators.addresses})
    if not administrators:
        return
    notice = UserNotification(administrators, mlist.owner_address,
                              f"Key change of {email} on {mlist.display_name} waits for"
                              " approval", text, mlist.preferred_language)
    # As Mailman's own notices to moderators: addressed to the -owner address.
    del notice["To"]
    notice["To"] = mlist.owner_address
    notice.send(mlist)


def _tell_member(mlist: Any, email: str, template: str, **values: str) -> None:
    text = translate(template).format(list=mlist.display_name, **values)
    UserNotification(email, mlist.request_address,
                     f"Your OpenPGP key on {mlist.display_name}", text,
                     mlist.preferred_language).send(mlist)
