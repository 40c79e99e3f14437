"""A key sent for an address through REST (the web app's upload), proved by email.

An upload is never trusted on its own: it starts the same proof of possession as a key
sent by email, a challenge encrypted to the key that only its holder can answer signed
(`key confirm`), on one list:

* a request to join the list waits for the address's key (``key set``): the key is stored
  unconfirmed and the subscription goes on, as `key_set` does;
* otherwise, for an address on the list's rosters: a key change (``key change`` not signed
  by the current key), so the current key stays in force until the new one is proved and
  a moderator approved the change.

`waiting_keys` says what waits for an address: a key a request to join asks for, the
proof of a key sent, or a moderator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from mailman.interfaces.pending import IPendings
from mailman.interfaces.subscriptions import ISubscriptionManager, ISubscriptionService
from mailman.utilities.datetime import now
from public import public
from zope.component import getUtility
from zope.event import notify

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.events import KeySetEvent
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.openpgp import Certificate, parse_certificate
from mailman_pgp.workflows.key_change import (
    AWAITING_APPROVAL,
    AWAITING_NEW_KEY_PROOF,
    KEY_CHANGE,
    PGPKeyChangeWorkflow,
    key_in_force_after,
)
from mailman_pgp.workflows.subscription import AWAITING_KEY, AWAITING_KEY_PROOF
from mailman_pgp.workflows.tokens import awaited_step

SUBSCRIPTION = "subscription"


@public
class KeyProofKind(Enum):
    """Which workflow a key proof belongs to."""

    subscription = "subscription"
    key_change = "key-change"


@public
class WaitingFor(Enum):
    """What waits: a request to join, for its key; a key that was sent, for its proof or a
    moderator."""

    key = "key"
    proof = "proof"
    moderator = "moderator"


@public
class NothingAwaitsKey(PGPError, LookupError):
    """The address is not on the list and no request of it to join the list waits."""

    def __init__(self, list_id: str, email: str) -> None:
        super().__init__(
            f"{email} is not on the list {list_id}, and no request of it to join the list"
            " waits for a key: ask to join the list first.")


@public
@dataclass(frozen=True)
class WaitingKey:
    """A key sent for ``email`` on ``list_id``, not in force yet, and what it waits for;
    ``fingerprint`` is None for a request to join that waits for the key."""

    list_id: str
    email: str
    fingerprint: str | None
    kind: KeyProofKind
    waiting_for: WaitingFor
    since: datetime


@public
def upload_key(mlist: Any, email: str, armor: str) -> WaitingKey:
    """Start the proof of ``armor`` as the key of ``email`` on ``mlist`` (see the module).

    The key is judged as one sent by email (the `mailman_pgp.openpgp` error says why it is
    refused); `NothingAwaitsKey` when the address has nothing to do with the list. The
    challenge is sent encrypted to the key. The caller commits.
    """
    email = email.lower()
    required = email if pgp_config().require_user_id else None
    certificate = parse_certificate(armor, email=required, limits=pgp_config().key_limits)
    token = _subscription_awaiting_key(mlist, email)
    if token is not None:
        return _key_for_subscription(mlist, email, certificate, token)
    if not len(getUtility(ISubscriptionService).find_members(
            subscriber=email, list_id=mlist.list_id)):
        raise NothingAwaitsKey(mlist.list_id, email)
    # The challenge goes to what will be in force: the key held, sent again, merged.
    certificate = key_in_force_after(email, certificate)
    list(PGPKeyChangeWorkflow(mlist, email, certificate, signed_by=None))
    return _waiting(mlist.list_id, email, certificate.fingerprint, KeyProofKind.key_change,
                    WaitingFor.proof)


@public
def waiting_keys(email: str) -> list[WaitingKey]:
    """What waits for ``email`` (see `WaitingFor`), by list."""
    email = email.lower()
    pendings = getUtility(IPendings)
    keys = getUtility(IPGPAddressKeyManager)
    found = []
    for token, record in pendings.find(pend_type=SUBSCRIPTION):
        if record is None or str(record.get("email", "")).lower() != email:
            continue
        stored = keys.get(email)
        step = awaited_step(token)
        since = datetime.fromisoformat(str(record["when"]))
        if step == AWAITING_KEY:
            found.append(WaitingKey(str(record["list_id"]), email, None,
                                    KeyProofKind.subscription, WaitingFor.key, since))
        elif step == AWAITING_KEY_PROOF and stored is not None:
            found.append(WaitingKey(str(record["list_id"]), email, stored.fingerprint,
                                    KeyProofKind.subscription, WaitingFor.proof, since))
    waiting_for = {AWAITING_NEW_KEY_PROOF: WaitingFor.proof,
                   AWAITING_APPROVAL: WaitingFor.moderator}
    for token, record in pendings.find(pend_type=KEY_CHANGE):
        if record is None or record.get("email") != email:
            continue
        step = awaited_step(token)
        if step in waiting_for:
            found.append(WaitingKey(str(record["list_id"]), email, str(record["fingerprint"]),
                                    KeyProofKind.key_change, waiting_for[step],
                                    datetime.fromisoformat(str(record["when"]))))
    return sorted(found, key=lambda key: (key.list_id, key.since))


def _subscription_awaiting_key(mlist: Any, email: str) -> str | None:
    """The token of the request of ``email`` to join ``mlist`` that waits for a key."""
    for token, record in getUtility(IPendings).find(mlist=mlist, pend_type=SUBSCRIPTION):
        if (record is not None and str(record.get("email", "")).lower() == email
                and awaited_step(token) == AWAITING_KEY):
            return str(token)
    return None


def _key_for_subscription(mlist: Any, email: str, certificate: Certificate,
                          token: str) -> WaitingKey:
    """As ``key set``: store the key unconfirmed and let the subscription send its challenge."""
    keys = getUtility(IPGPAddressKeyManager)
    stored = keys.get(email)
    if stored is None:
        keys.add(email, certificate, confirmed=False)
    else:
        stored.replace(certificate, confirmed=False)
    notify(KeySetEvent(mlist, email, certificate.fingerprint))
    ISubscriptionManager(mlist).resume(token)
    return _waiting(mlist.list_id, email, certificate.fingerprint, KeyProofKind.subscription,
                    WaitingFor.proof)


def _waiting(list_id: str, email: str, fingerprint: str, kind: KeyProofKind,
             waiting_for: WaitingFor) -> WaitingKey:
    return WaitingKey(list_id, email, fingerprint, kind, waiting_for,
                      now().replace(microsecond=0))
