"""``mailman pgp-key``: export a PGP list's secret key for backup, import a list key.

The one way a list's secret key leaves or enters the plugin: through Mailman's command line,
as the user Mailman runs as, never through REST. See `mailman_pgp.app.key_backup`.
"""

from __future__ import annotations

from pathlib import Path

import click
from mailman.interfaces.command import ICLISubCommand
from public import public
from zope.interface import implementer

from mailman_pgp.app.key_backup import (
    KeyBackupError,
    PassphraseNeeded,
    export_list_key,
    import_list_key,
    is_protected,
    open_key_file,
    read_key_file,
)
from mailman_pgp.commands.cli_shared import (
    ask_option,
    given_passphrase,
    mailing_list,
    passphrase_option,
)
from mailman_pgp.errors import PGPError


@click.group(name="pgp-key", context_settings={"help_option_names": ["-h", "--help"]})
def pgp_key() -> None:
    """Export or import the secret key of a PGP list."""


@pgp_key.command("export")
@click.argument("listspec")
@click.argument("file", type=click.Path(path_type=Path))
@passphrase_option("Encrypt the exported key with the passphrase in this file.")
@ask_option("Encrypt the exported key with a passphrase typed at a prompt.")
def export_command(listspec: str, file: Path, passphrase_file: Path | None,
                   ask_passphrase: bool) -> None:
    """Write the secret key of the PGP list LISTSPEC (list ID or posting address) to FILE.

    FILE must not exist; it is created with mode 0600 and holds the key ASCII-armored
    (gpg --import reads it), or, with a passphrase, the key encrypted with it (gpg
    --decrypt opens it; mailman pgp-key import reads it back). Whoever has the file and
    its passphrase can read the list's mail and sign as the list.
    """
    mlist = mailing_list(listspec)
    passphrase = given_passphrase(passphrase_file, ask_passphrase, confirm=True)
    try:
        fingerprint = export_list_key(mlist.list_id, file, passphrase=passphrase)
    except PGPError as error:
        raise click.ClickException(str(error)) from None
    how = "encrypted with your passphrase" if passphrase else "not encrypted"
    click.echo(f"Exported the secret key {fingerprint} of {mlist.list_id} to {file}"
               f" (mode 0600, {how}).")


@pgp_key.command("import")
@click.argument("listspec")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, default=False,
              help="Replace the key of a list that is a PGP list already.")
@passphrase_option("The key file is encrypted with the passphrase in this file.")
@ask_option("The key file is encrypted with a passphrase: ask for it.")
def import_command(listspec: str, file: Path, replace: bool, passphrase_file: Path | None,
                   ask_passphrase: bool) -> None:
    """Make the list LISTSPEC a PGP list with the secret key in FILE.

    FILE holds one OpenPGP secret key, armored or binary, whose secret parts have no
    passphrase of their own (as GnuPG exports a key without one, a Schleuder list's key,
    the key files of the 2017 mailman-pgp plugin), or a key exported by mailman pgp-key
    export. The key must be valid and able to sign and to encrypt; it is stored protected
    with the plugin's passphrase. A PGP list's key is replaced only with --replace.
    """
    mlist = mailing_list(listspec)
    data = _read(file)
    passphrase = None
    if is_protected(data) or passphrase_file is not None:
        passphrase = given_passphrase(passphrase_file, ask_passphrase, confirm=False)
    try:
        key = open_key_file(data, passphrase)
        imported = import_list_key(mlist, key, replace=replace)
    except PassphraseNeeded as error:
        raise click.ClickException(f"{file}: {error}") from None
    except PGPError as error:
        raise click.ClickException(str(error)) from None
    if passphrase is not None and not is_protected(data):
        click.echo("Note: the key file is not encrypted; the passphrase was not needed.",
                   err=True)
    if imported.replaced is None:
        click.echo(f"{imported.list_id} is a PGP list now, with the key {imported.fingerprint}.")
    else:
        click.echo(f"The key of {imported.list_id} is now {imported.fingerprint}"
                   f" (it was {imported.replaced}).")
    for note in imported.notes:
        click.echo(f"Note: {note}", err=True)


def _read(file: Path) -> bytes:
    try:
        return read_key_file(file)
    except KeyBackupError as error:
        raise click.ClickException(str(error)) from None


@public
@implementer(ICLISubCommand)
class PGPKeyCommand:
    """See `ICLISubCommand`."""

    name = "pgp-key"
    command = pgp_key
