"""A PGP list's own terminal chains in place of Mailman's ``hold`` and ``reject``, on every path.

A post to a PGP list passes the PGP checks and then Mailman's own chains (moderation,
header matching, DMARC), each of which may end in Mailman's ``hold`` or ``reject``. Those
would mail the moderators the post as ciphertext they cannot read, or the sender a notice
with the post attached. `with_pgp_terminals` leads every such link, at any depth, to
``pgp-hold`` and ``pgp-reject`` instead, without copying Mailman's chains: a chain on the
way is wrapped (`PGPTerminalsChain`) and its links are led the same way as it yields them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mailman.chains.base import Link, TerminalChainBase
from mailman.config import config
from mailman.interfaces.chain import IChain
from mailman.utilities.modules import abstract_component
from public import public
from zope.interface import implementer

# Mailman's terminal chain -> the PGP list's own.
PGP_TERMINALS = {"hold": "pgp-hold", "reject": "pgp-reject"}


@public
def with_pgp_terminals(links: Iterable[Link]) -> list[Link]:
    """``links``, each one that leads to Mailman's ``hold`` or ``reject`` (directly or
    through other chains) leading to the PGP list's own instead."""
    return [_relinked(link) for link in links]


@public
@abstract_component
@implementer(IChain)
class PGPTerminalsChain:
    """See `IChain`: ``chain``, its links led by `with_pgp_terminals`; same name."""

    def __init__(self, chain: IChain) -> None:
        self._chain = chain
        self.name = chain.name
        self.description = chain.description

    def get_links(self, mlist, msg, msgdata) -> Iterator[Link]:
        """See `IChain`."""
        return iter(with_pgp_terminals(self._chain.get_links(mlist, msg, msgdata)))


def _relinked(link: Link) -> Link:
    if link.chain is None:
        return link
    return Link(link.rule, link.action, _pgp_chain(link.chain), link.function)


def _pgp_chain(chain: IChain) -> IChain:
    if chain.name in PGP_TERMINALS:
        return config.chains[PGP_TERMINALS[chain.name]]
    if isinstance(chain, (TerminalChainBase, PGPTerminalsChain)):
        return chain
    return PGPTerminalsChain(chain)
