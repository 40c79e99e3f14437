"""The posting chain of a PGP list: the PGP checks and the list's policies, then Mailman's own."""

from collections.abc import Iterator, Mapping

from mailman.chains.base import Link
from mailman.interfaces.action import Action
from mailman.interfaces.chain import IChain, LinkAction
from public import public
from zope.interface import implementer

from mailman_pgp.chains.pgp_terminals import with_pgp_terminals
from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import PolicyCase
from mailman_pgp.posting.checker import check_post
from mailman_pgp.posting.policy import list_actions

# Where a policy case's action leads. ``accept`` has no link: the next case is asked.
POLICY_TARGETS = {
    Action.hold: "hold",
    Action.reject: "pgp-reject",
    Action.discard: "discard",
    Action.defer: "pgp-defer",
}

# Decided without decrypting: who sent it, what shape it is, how big.
_BEFORE_CHECK = (
    ("no-senders", LinkAction.jump, "discard"),
    ("loop", LinkAction.jump, "discard"),
    ("banned-address", LinkAction.jump, "discard"),
    ("pgp-ambiguous-author", LinkAction.jump, "pgp-reject"),
    ("pgp-author-without-key", LinkAction.jump, "pgp-reject"),
    ("pgp-too-complex", LinkAction.jump, "pgp-reject"),
)
# Before any hold: a held post is stored, and fetched back, by its Message-ID.
_BEFORE_HOLD = (
    ("pgp-message-id-taken", LinkAction.jump, "pgp-reject"),
    ("pgp-too-large", LinkAction.jump, "hold"),
)
# The PGP check decrypts in memory, within the [limits], and records its outcome for the
# rules below (mailman_pgp.posting.check); a post it could not read is never delivered,
# whatever the policies say.
_CHECK = (
    ("truth", LinkAction.run, None, check_post),
    ("pgp-too-slow", LinkAction.jump, "hold"),
    ("pgp-plaintext-over-list-limit", LinkAction.jump, "hold"),
    ("pgp-not-decryptable", LinkAction.jump, "pgp-reject"),
)


@public
def policy_links(actions: Mapping[PolicyCase, Action], *,
                 defer_to: str = "pgp-defer") -> list[tuple]:
    """The links of the policy cases in order: each case in ``actions`` whose action is
    not ``accept`` leads where `POLICY_TARGETS` says (``defer`` to ``defer_to``)."""
    targets = {**POLICY_TARGETS, Action.defer: defer_to}
    return [(_rule_name(case), LinkAction.jump, targets[actions[case]])
            for case in PolicyCase if actions.get(case, Action.accept) is not Action.accept]


@public
@implementer(IChain)
class PGPPostingChain:
    """See `IChain`.

    Loops, banned senders and messages without a sender are discarded first, as the
    built-in chain would, so they draw no notice. Then what can be decided without
    decrypting: a post without exactly one author, from an author without a confirmed
    key (when the list's policies would refuse whatever such an author sends), or with
    MIME parts beyond the limits is refused; a list that refuses or discards unencrypted
    posts does so here; one whose Message-ID names another message on the server is
    refused, and one over the list's size limit is held, as Mailman holds an oversized post.

    Then the PGP check (`check_post`) reads the post once and records what it found; a
    post it could not read in time, or larger decrypted than the list accepts, is held,
    and one it could not open is refused, whatever the policies say.

    Then the list's policies: one rule per `PolicyCase` (``rules/pgp_<case>.py``), in
    the cases' order, each linked where the list's ``<case>_action`` says
    (`POLICY_TARGETS`: ``hold``, ``pgp-reject``, ``discard``, or for ``defer``
    ``pgp-defer`` and from there Mailman's ``default-posting-chain``, skipping the
    remaining cases); a case whose action is ``accept`` has no link, so the next case is
    asked. The links are made per
    post from the list's settings, so a change through REST applies to the next post.
    What passes every case continues in ``default-posting-chain``: moderation and the
    list's other rules still apply. Holds and refusals here and in Mailman's chains
    after it go to ``pgp-hold`` and ``pgp-reject`` (`with_pgp_terminals`); a moderator's
    approval of a post held before its check sends it through ``pgp-recheck-chain``.
    """

    name = "pgp-posting-chain"
    description = N_("Check encryption and signature of posts to a PGP list, then moderate.")

    def get_links(self, mlist, msg, msgdata) -> Iterator[Link]:
        """See `IChain`."""
        actions = list_actions(mlist)
        early = []
        if actions[PolicyCase.unencrypted] in (Action.reject, Action.discard):
            # Refused without reading it; otherwise asked after the check, whose record
            # of what it read a held, deferred or accepted post needs.
            early = [policy_links({PolicyCase.unencrypted: actions[PolicyCase.unencrypted]})[0]]
            actions = {**actions, PolicyCase.unencrypted: Action.accept}
        descriptions = [*_BEFORE_CHECK, *early, *_BEFORE_HOLD, *_CHECK,
                        *policy_links(actions),
                        ("truth", LinkAction.jump, "default-posting-chain")]
        return iter(with_pgp_terminals(Link(*description) for description in descriptions))


def _rule_name(case: PolicyCase) -> str:
    return "pgp-" + case.value.replace("_", "-")
