"""Mailman's command runner, opening the mails of PGP lists before it reads their commands."""

from __future__ import annotations

from typing import Any

from mailman.runners.command import CommandRunner
from public import public
from zope.component import getUtility

from mailman_pgp.commands.mail import open_command_mail, processing
from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.lists import IPGPListManager

# What the plugin pushes as ``[runner.command] class``.
RUNNER_CLASS = "mailman_pgp.runners.command.PGPCommandRunner"


@public
class PGPCommandRunner(CommandRunner):
    """See Mailman's `CommandRunner`; for a PGP list, the mail is opened first.

    A mail to a PGP list's -request address may be encrypted to the list key and is
    often signed: the runner decrypts it in memory and takes the signature wrapper off
    (`open_command_mail`), so Mailman's command finder reads the commands inside, and
    makes it the `current_mail` for the commands that check who signed it. Nothing
    opened is written anywhere; mail of other lists is read as Mailman reads it.
    """

    def _dispose(self, mlist, msg, msgdata: dict[str, Any]) -> bool:
        pgp_lists = getUtility(IPGPListManager)
        pgp_list = None if mlist is None else pgp_lists.get(mlist.list_id)
        if pgp_list is None:
            return bool(super()._dispose(mlist, msg, msgdata))
        settings = pgp_config()
        mail = open_command_mail(
            msg, pgp_lists.secret_key(pgp_list), sop=settings.sop(),
            max_plaintext=settings.plaintext_limit(mlist.max_message_size),
            mime_limits=settings.mime_limits)
        with processing(mail):
            return bool(super()._dispose(mlist, mail.view, msgdata))
