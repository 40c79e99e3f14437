"""Which of a PGP list's policy cases (`PolicyCase`) a checked post falls in, and why.

The PGP check (`mailman_pgp.posting.checker`) records what it found as a `PostCheck`;
this module judges that record against each case, without verifying anything again. A
rule per case (``rules/pgp_<case>.py``) asks `case_finding` and, when the case applies,
records the sentence for the sender; the posting chain (`PGPPostingChain`) decides from
the list's ``<case>_action`` what a hit leads to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message

from mailman.interfaces.action import Action
from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.lists import ACTION_DEFAULTS, IPGPListManager, PolicyCase
from mailman_pgp.mime import MessageKind, classify, encrypted_under_signature
from mailman_pgp.model.seen_signature import signature_seen
from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting import reasons
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.encrypted_post import ENCRYPTED_KINDS
from mailman_pgp.posting.refusal import refuse

# How far in the future a signature may say it was made (clocks differ a little).
FUTURE_SKEW = timedelta(minutes=10)

_INLINE = frozenset({MessageKind.INLINE_ENCRYPTED, MessageKind.INLINE_SIGNED})
_SIGNED = frozenset({MessageKind.PGP_MIME_SIGNED, MessageKind.INLINE_SIGNED})


@public
def list_actions(mlist) -> dict[PolicyCase, Action]:
    """The action of each policy case on ``mlist``: its PGP list's, else the defaults
    (a list that is not a PGP list, which the check refuses anyway)."""
    pgp_list = None if mlist is None else getUtility(IPGPListManager).get(mlist.list_id)
    if pgp_list is None:
        return dict(ACTION_DEFAULTS)
    return {case: getattr(pgp_list, case.setting) for case in PolicyCase}


@public
@dataclass(frozen=True)
class Finding:
    """A case applies: the sentence for the sender (`reasons`) and the values for its ``{}``."""

    reason: str
    values: tuple[str, ...] = ()


@public
def case_finding(case: PolicyCase, check: PostCheck, list_id: str, *,
                 replay_window: timedelta, now: datetime | None = None) -> Finding | None:
    """Whether ``case`` applies to the post ``check`` describes, on the list ``list_id``.

    ``check`` must be an opened check (`PostCheck.opened`); for any other the answer is
    a finding saying the post was not checked, so a rule fails closed.
    """
    if not check.opened or check.author is None:
        return Finding(reasons.NOT_CHECKED)
    status = check.status
    key = check.sender_key or ""
    if case is PolicyCase.unencrypted:
        return _unencrypted(check.kind)
    if case is PolicyCase.unsigned:
        if status is not SignatureStatus.NO_SIGNATURE:
            return None
        if check.sender_key is None:
            return Finding(reasons.NO_SENDER_KEY, (check.author,))
        return Finding(reasons.NOT_SIGNED, (key,))
    if case is PolicyCase.bad_signature:
        return Finding(reasons.BAD_SIGNATURE, (key,)) if status is SignatureStatus.BAD else None
    if case is PolicyCase.expired_key:
        return (Finding(reasons.EXPIRED_KEY, (key,))
                if status is SignatureStatus.EXPIRED_KEY else None)
    if case is PolicyCase.revoked_key:
        return (Finding(reasons.REVOKED_KEY, (key,))
                if status is SignatureStatus.REVOKED_KEY else None)
    if case is PolicyCase.unknown_key:
        return _unknown_key(check)
    if case is PolicyCase.inline_pgp:
        return Finding(reasons.INLINE_PGP) if check.kind in _INLINE else None
    return _replay(check, list_id, replay_window, now or datetime.now(UTC))


@public
def unencrypted_finding(msg: Message) -> Finding | None:
    """The ``unencrypted`` case for ``msg`` as it arrived."""
    if encrypted_under_signature(msg):
        return Finding(reasons.ENCRYPTED_THEN_SIGNED)
    return _unencrypted(classify(msg))


def _unencrypted(kind: MessageKind | None) -> Finding | None:
    if kind in ENCRYPTED_KINDS:
        return None
    return Finding(reasons.SIGNED_NOT_ENCRYPTED if kind in _SIGNED else reasons.NOT_ENCRYPTED)


def _unknown_key(check: PostCheck) -> Finding | None:
    if check.status is SignatureStatus.UNKNOWN_KEY or (
            check.status is SignatureStatus.GOOD and not check.signed_by_sender):
        if check.sender_key is None:
            return Finding(reasons.NO_SENDER_KEY, (check.author or "",))
        other = check.signer or check.issuer or "(unnamed)"
        return Finding(reasons.OTHER_KEY, (other, check.sender_key))
    return None


def _replay(check: PostCheck, list_id: str, window: timedelta,
            now: datetime) -> Finding | None:
    signed_at = check.signed_at
    if check.signature is None or signed_at is None:
        return None
    shown = signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if signed_at > now + FUTURE_SKEW:
        return Finding(reasons.SIGNATURE_IN_FUTURE, (shown,))
    if signed_at < now - window:
        return Finding(reasons.SIGNATURE_TOO_OLD, (shown, _duration(window)))
    since = (now - window).astimezone(UTC).replace(tzinfo=None)
    if signature_seen(list_id, check.signature, since=since):
        return Finding(reasons.REPLAYED)
    return None


def _duration(window: timedelta) -> str:
    if window.days and not window.seconds:
        return f"{window.days} day{'s' if window.days != 1 else ''}"
    hours = window.total_seconds() / 3600
    return f"{hours:g} hours"


@public
class PolicyCaseRule:
    """The body of the rule of one policy case (`IRule`): hits when `case_finding` finds
    ``case``, recording the sentence for the sender. Subclasses name the case and the rule.
    """

    case: PolicyCase
    name: str
    description: str
    record = True

    def check(self, mlist, msg, msgdata) -> bool:
        """See `IRule`."""
        check = PostCheck.load(msgdata)
        if check is None:
            found: Finding | None = Finding(reasons.NOT_CHECKED)
        else:
            found = case_finding(self.case, check, mlist.list_id,
                                 replay_window=pgp_config().replay_window)
        if found is None:
            return False
        refuse(msgdata, msg, found.reason, *found.values)
        return True
