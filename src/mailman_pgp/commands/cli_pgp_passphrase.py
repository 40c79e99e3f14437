"""``mailman pgp-passphrase``: rotate the passphrase that protects list keys, or check them.

See `mailman_pgp.app.passphrase_rotation` for how a rotation keeps every key openable
whenever it stops. The passphrase is never printed, logged or taken from the command line.
"""

from __future__ import annotations

from pathlib import Path

import click
from mailman.bin.master import WatcherState, master_state
from mailman.config import config
from mailman.interfaces.command import ICLISubCommand
from public import public
from zope.interface import implementer

from mailman_pgp.app.passphrase_rotation import (
    KeyState,
    RotationRefused,
    key_states,
    rotate_passphrase,
)
from mailman_pgp.commands.cli_shared import given_passphrase, passphrase_option


@click.group(name="pgp-passphrase", context_settings={"help_option_names": ["-h", "--help"]})
def pgp_passphrase() -> None:
    """Rotate the passphrase that protects the secret keys of PGP lists."""


@pgp_passphrase.command("rotate")
@passphrase_option("Use the new passphrase in this file instead of generating one.")
@click.option("--prepare", is_flag=True, default=False,
              help="Only write the new passphrase to the pending file, for copying to the"
              " other hosts that share this database; run again without --prepare to"
              " finish.")
def rotate_command(passphrase_file: Path | None, prepare: bool) -> None:
    """Protect every list key with a new passphrase and put it in the passphrase file.

    The new passphrase is generated, or read from --passphrase-file. If a rotation was
    stopped before it finished, this finishes it with the passphrase it had chosen.
    Running Mailman processes go on opening keys; restart Mailman afterwards so that
    every process holds the new passphrase only.
    """
    new = given_passphrase(passphrase_file, False, confirm=False)
    running = _mailman_runs()
    try:
        rotation = rotate_passphrase(new, prepare=prepare)
    except RotationRefused as error:
        raise click.ClickException(str(error)) from None
    files = rotation.files
    if not rotation.finished:
        click.echo(
            f"The new passphrase is in {files.pending}. Copy that file (mode 0600) to the same"
            " place on every other host that shares this database, then run"
            " `mailman pgp-passphrase rotate` on each host, this one first.")
        return
    if rotation.resumed:
        click.echo(f"Finishing the rotation that was started before ({files.pending}).")
    click.echo(
        f"Rotated the list-key passphrase: {len(rotation.reencrypted)} list keys"
        f" re-encrypted, {len(rotation.unchanged)} had the new passphrase already. It is"
        f" in {files.current}: back that file up now; database backups made before need"
        " the old passphrase.")
    if running:
        click.echo(
            "Warning: Mailman is running on this host. Its processes open the keys with the"
            " new passphrase when the old one fails, but the guard that keeps the passphrase"
            " out of templates knows only the passphrase each process started with: restart"
            " Mailman now (mailman restart).", err=True)
    if config.db.engine.dialect.name != "sqlite":
        click.echo(
            "Warning: other hosts that share this database open the keys only once their"
            f" passphrase file holds the new passphrase: copy {files.current} to each of"
            " them (or, next time, use --prepare first).", err=True)


@pgp_passphrase.command("check")
def check_command() -> None:
    """Say for each PGP list which passphrase of this host opens its key.

    Exits with status 1 if a list's key opens with none.
    """
    try:
        states = key_states()
    except RotationRefused as error:
        raise click.ClickException(str(error)) from None
    for list_id, state in states.items():
        click.echo(f"{list_id}: {state.value}")
    lost = [list_id for list_id, state in states.items() if state is KeyState.neither]
    if lost:
        raise click.ClickException(
            f"The key of {', '.join(lost)} opens with no passphrase of this host.")
    click.echo(f"Every list key opens ({len(states)} lists).")


def _mailman_runs() -> bool:
    """Whether Mailman's master runs on this host (its lock is held by a live process)."""
    state, _lock = master_state()
    return state is WatcherState.conflict


@public
@implementer(ICLISubCommand)
class PGPPassphraseCommand:
    """See `ICLISubCommand`."""

    name = "pgp-passphrase"
    command = pgp_passphrase
