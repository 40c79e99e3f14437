"""What the plugin's ``mailman`` subcommands share: reading a passphrase the administrator
gives (from a file or typed at a prompt, never on the command line), finding a list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from mailman.interfaces.listmanager import IListManager
from mailman.interfaces.mailinglist import IMailingList
from zope.component import getUtility

from mailman_pgp.config import ConfigError
from mailman_pgp.config.passphrase import read_passphrase

F = TypeVar("F", bound=Callable[..., Any])


def passphrase_option(text: str) -> Callable[[F], F]:
    """``--passphrase-file FILE``: a file whose first line is the passphrase."""
    return click.option(
        "--passphrase-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help=text + " The file's first line is the passphrase; it must not be readable by"
        " other users.")


def ask_option(text: str) -> Callable[[F], F]:
    """``--ask-passphrase``: type the passphrase at a prompt that does not echo it."""
    return click.option("--ask-passphrase", is_flag=True, default=False, help=text)


def given_passphrase(path: Path | None, ask: bool, *, confirm: bool) -> str | None:
    """The passphrase from ``path`` or typed at the prompt (``ask``), or None."""
    if path is not None and ask:
        raise click.UsageError("Give --passphrase-file or --ask-passphrase, not both.")
    if path is not None:
        try:
            return read_passphrase(path)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
    if ask:
        passphrase = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm,
                                  err=True).strip()
        if not passphrase:
            raise click.ClickException("The passphrase is empty.")
        return passphrase
    return None


def mailing_list(listspec: str) -> IMailingList:
    """The Mailman list ``listspec`` names (list ID or posting address)."""
    mlist = getUtility(IListManager).get(listspec)
    if mlist is None:
        raise click.ClickException(f"No such list: {listspec}")
    return mlist
