"""What a token the list sent is waiting for, and whether it is still good."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mailman.config import config
from mailman.interfaces.pending import IPendings
from mailman.interfaces.workflow import IWorkflowStateManager
from mailman.model.workflow import WorkflowState
from mailman.utilities.datetime import now
from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError


@public
class TokenRefused(PGPError, LookupError):
    """A token that cannot be answered as the person tried; the message says why."""


@public
class TokenNotValid(TokenRefused):
    """A token that was never given out, was used already, or has expired."""


@public
class TokenWaitsForSomethingElse(TokenRefused):
    """A good token whose workflow waits for another answer than the one given."""


@public
def pending(token: str) -> Mapping[str, Any]:
    """The pended record of ``token``; `TokenNotValid` if it has none or it expired.

    A token the list sent a person is good for ``[confirmations] lifetime`` from the
    time in its record (``when``); an expired one is forgotten here.
    """
    pendable = getUtility(IPendings).confirm(token, expunge=False)
    if pendable is None:
        raise TokenNotValid(
            f"The token {token} is not valid: it was used already, has expired, or was"
            " never given out. Nothing was changed.")
    when = pendable.get("when")
    if when is not None and pendable.get("token_owner") != "moderator":
        sent = datetime.fromisoformat(str(when))
        if now() - sent >= pgp_config().confirmation_lifetime:
            getUtility(IPendings).confirm(token, expunge=True)
            getUtility(IWorkflowStateManager).discard(token)
            raise TokenNotValid(
                f"The token {token} has expired. Nothing was changed; please ask again.")
    return pendable


@public
def awaited_step(token: str) -> str | None:
    """The step the workflow of ``token`` resumes with, or None; the state is kept.

    (``IWorkflowStateManager.restore`` would delete it.)
    """
    state = config.db.store.get(WorkflowState, token)
    return None if state is None else str(state.step) if state.step else None


@public
def awaiting(token: str, kind: str, step: str, what: str) -> Mapping[str, Any]:
    """The pended record of ``token``, a ``kind`` workflow waiting at ``step``.

    Raises `TokenNotValid`, or `TokenWaitsForSomethingElse` saying that the token does
    not wait for ``what`` (e.g. "a key"); the token stays good either way.
    """
    record = pending(token)
    if record.get("type") != kind or awaited_step(token) != step:
        raise TokenWaitsForSomethingElse(f"The token {token} does not wait for {what}.")
    return record
