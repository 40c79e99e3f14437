"""The ``key`` email command of PGP lists, on ``LIST-request@``.

``key <subcommand> [arguments]``; each subcommand is a function in this package taking
the list, the opened mail (`CommandMail`), the arguments after the subcommand and
Mailman's results, and answering ``ContinueProcessing`` as a command does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mailman.interfaces.command import ContinueProcessing, IEmailCommand
from public import public
from zope.component import getUtility
from zope.interface import implementer

from mailman_pgp.commands.key_info import key_receive, key_status
from mailman_pgp.commands.key_proof import key_confirm, key_set
from mailman_pgp.commands.mail import CommandMail, current_mail
from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import IPGPListManager

Subcommand = Callable[[Any, CommandMail, list[str], Any], ContinueProcessing]

SUBCOMMANDS: dict[str, Subcommand] = {
    "set": key_set,
    "confirm": key_confirm,
    "receive": key_receive,
    "status": key_status,
}

HELP = N_("""\
key set TOKEN      With your public key attached: the key for your address,
                   when the list asked for it (the subject of its request).
key confirm TOKEN  Signed with that key: the proof that you hold it (the line
                   the list sent you, encrypted to the key).
key receive        The list's public key.
key status         The key the list holds for your address.""")


@public
@implementer(IEmailCommand)
class Key:
    """See `IEmailCommand`: the keys of a PGP list and of its members."""

    name = "key"
    argument_description = "set|confirm|receive|status [TOKEN]"
    description = N_("Manage your OpenPGP key on a PGP list, and get the list's key.")
    short_description = description

    @property
    def help(self) -> str:
        """The subcommands, for Mailman's ``help key``."""
        return HELP

    def process(self, mlist, msg, msgdata, arguments, results) -> ContinueProcessing:
        """See `IEmailCommand`."""
        if getUtility(IPGPListManager).get(mlist.list_id) is None:
            print("The key command works on PGP lists only.", file=results)
            return ContinueProcessing.no
        mail = current_mail()
        if mail is None:
            print("The list could not read this mail as a PGP list's command.", file=results)
            return ContinueProcessing.no
        if not arguments or arguments[0] not in SUBCOMMANDS:
            # A reply's subject ("Re: key confirm") carries no token: read on.
            if arguments and arguments[0] in ("set", "confirm") and len(arguments) == 1:
                return ContinueProcessing.yes
            print(f"Usage: key {self.argument_description}\n{HELP}", file=results)
            return ContinueProcessing.no
        subcommand, *rest = arguments
        if subcommand in ("set", "confirm") and not rest:
            return ContinueProcessing.yes
        return SUBCOMMANDS[subcommand](mlist, mail, rest, results)
