"""What the workflows of the key commands share: one address, one key, a token per answer.

A key command that changes something (``key change``, ``key sign``) runs as a Mailman
workflow, so that Mailman keeps its tokens and state between the person's answers
(``IPendings``, ``IWorkflowStateManager``) and the list's ``ISubscriptionManager``
(`mailman_pgp.workflows.manager`) resumes it by the type of its token.
"""

from __future__ import annotations

from typing import Any

from mailman.app.workflow import Workflow
from mailman.interfaces.pending import IPendable, IPendings
from mailman.interfaces.subscriptions import TokenOwner
from mailman.utilities.datetime import now
from public import public
from zope.component import getUtility
from zope.interface import implementer


@implementer(IPendable)
class PendableKeyRequest(dict[str, Any]):
    """The pended record of a key workflow's token; its ``type`` names the workflow."""

    PEND_TYPE = "pgp key request"


@public
class KeyWorkflow(Workflow):
    """A workflow about the key of ``email`` on the list ``mlist``.

    Each step that waits for a person or a moderator gets a new token, pended with
    ``PEND_TYPE`` and what a moderator's listing shows (the list, the address, the key's
    ``fingerprint``, when), so that a token answers one step only and an old one is
    worthless. ``member`` is None: `ISubscriptionManager.confirm` answers a member, and
    these workflows make none.
    """

    PEND_TYPE: str
    SAVE_ATTRIBUTES: tuple[str, ...] = ("email", "fingerprint", "token_owner_key")
    token: str | None

    def __init__(self, mlist: Any, email: str | None = None,
                 fingerprint: str | None = None) -> None:
        super().__init__()
        self.mlist = mlist
        self.email = email.lower() if email else None
        self.fingerprint = fingerprint
        self.member = None
        self.token_owner = TokenOwner.no_one

    @property
    def token_owner_key(self) -> int:
        # For save.
        return int(self.token_owner.value)

    @token_owner_key.setter
    def token_owner_key(self, value: int) -> None:
        # For restore.
        self.token_owner = TokenOwner(value)

    def _set_token(self, token_owner: TokenOwner) -> str | None:
        """Forget the current token; pend a new one for ``token_owner``, unless no one.

        The new token, also in ``token``.
        """
        pendings = getUtility(IPendings)
        if self.token is not None:
            pendings.confirm(self.token)
        self.token_owner = token_owner
        if token_owner is TokenOwner.no_one:
            self.token = None
            return None
        self.token = pendings.add(PendableKeyRequest(
            type=self.PEND_TYPE,
            list_id=self.mlist.list_id,
            email=self.email,
            fingerprint=self.fingerprint,
            when=now().replace(microsecond=0).isoformat(),
            token_owner=token_owner.name,
        ))
        return self.token
