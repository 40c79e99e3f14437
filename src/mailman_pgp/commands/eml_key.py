"""The ``key`` email command of PGP lists, on ``LIST-request@``.

``key <subcommand> [arguments]``; each subcommand is a function in this package taking
the list, the opened mail (`CommandMail`), the arguments after the subcommand and
Mailman's results, and answering ``ContinueProcessing`` as a command does.
"""

from __future__ import annotations

from collections.abc import Callable
from textwrap import indent
from typing import Any

from mailman.interfaces.command import ContinueProcessing, IEmailCommand
from public import public
from zope.component import getUtility
from zope.interface import implementer

from mailman_pgp.commands.key_change import confirm_key_change, key_change
from mailman_pgp.commands.key_info import key_receive, key_status
from mailman_pgp.commands.key_proof import key_confirm, key_set
from mailman_pgp.commands.key_revoke import key_revoke
from mailman_pgp.commands.key_sign import key_sign
from mailman_pgp.commands.mail import CommandMail, current_mail
from mailman_pgp.i18n import N_
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.workflows.key_change import is_key_change

Subcommand = Callable[[Any, CommandMail, list[str], Any], ContinueProcessing]


def _key_confirm(mlist: Any, mail: CommandMail, arguments: list[str],
                 results: Any) -> ContinueProcessing:
    """``key confirm TOKEN``: the proof of a key for a key change, or for joining."""
    confirm = confirm_key_change if is_key_change(arguments[0]) else key_confirm
    return confirm(mlist, mail, arguments, results)


SUBCOMMANDS: dict[str, Subcommand] = {
    "set": key_set,
    "confirm": _key_confirm,
    "receive": key_receive,
    "status": key_status,
    "change": key_change,
    "revoke": key_revoke,
    "sign": key_sign,
}
# Subcommands whose token may come in the body of a reply whose subject names them.
_TOKENED = ("set", "confirm")

HELP = N_("""\
key set TOKEN      With your public key attached: the key for your address,
                   when the list asked for it (the subject of its request).
key confirm TOKEN  Signed with that key: the proof that you hold it (the line
                   the list sent you, encrypted to the key).
key receive        The list's public key.
key status         The key the list holds for your address.
key change         With your new public key attached: use it instead of your
                   key. The list sends a challenge to the new key, answered
                   with key confirm signed by the new key. Sign this request
                   with your current key, or a moderator must approve too.
key revoke         With revocation certificates attached (gpg --gen-revoke,
                   or your key exported after revoking a subkey): the list
                   records them at once. A key that can no longer encrypt
                   gets no list mail until a new key is set and confirmed.
key sign           With the list's key attached, certified by your key (gpg
                   --sign-key): the certification joins the list's key once
                   you confirm it, if the list lets you certify its key.""")


@public
@implementer(IEmailCommand)
class Key:
    """See `IEmailCommand`: the keys of a PGP list and of its members."""

    name = "key"
    argument_description = "set|confirm|receive|status|change|revoke|sign [TOKEN]"
    short_description = N_("Manage your OpenPGP key on a PGP list, and get the list's key.")
    # What Mailman's ``help key`` prints after the short description; indented, so that
    # Mailman's wrap() keeps the table as it is.
    description = f"{short_description}\n\n{indent(HELP, '  ')}"

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
            if arguments and arguments[0] in _TOKENED and len(arguments) == 1:
                return ContinueProcessing.yes
            print(f"Usage: key {self.argument_description}\n{HELP}", file=results)
            return ContinueProcessing.no
        subcommand, *rest = arguments
        if subcommand in _TOKENED and not rest:
            return ContinueProcessing.yes
        return SUBCOMMANDS[subcommand](mlist, mail, rest, results)
