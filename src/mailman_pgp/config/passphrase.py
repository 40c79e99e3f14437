"""The passphrase protecting list secret keys at rest: read it, or make it once.

The generated file is written to a private temporary name and then hard-linked
into place, so that several Mailman processes starting at once agree on one
passphrase and none ever reads a half-written file.
"""

import logging
import os
import secrets
import stat
from pathlib import Path

from public import public

from mailman_pgp.config.errors import ConfigError

log = logging.getLogger("mailman.plugins")

DEFAULT_RELATIVE_PATH = Path("pgp") / "list-key-passphrase"
PASSPHRASE_BYTES = 32


@public
def default_passphrase_path(var_dir: str | os.PathLike) -> Path:
    """Where the generated passphrase lives when no ``passphrase_file`` is set."""
    return Path(var_dir) / DEFAULT_RELATIVE_PATH


@public
def read_passphrase(path: Path) -> str:
    """The passphrase in the first line of ``path``; `ConfigError` if unusable.

    A file that others than its owner and group may read is refused: the
    passphrase unlocks every list's secret key.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"The passphrase file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"The passphrase file {path} cannot be read: {error}.") from None
    if mode & stat.S_IRWXO:
        raise ConfigError(
            f"The passphrase file {path} is accessible to other users "
            f"(mode {stat.S_IMODE(mode):04o}); allow at most owner and group (chmod 0600)."
        )
    lines = text.splitlines()
    passphrase = lines[0].strip() if lines else ""
    if not passphrase:
        raise ConfigError(f"The passphrase file {path} is empty.")
    return passphrase


@public
def read_or_create_passphrase(path: Path) -> str:
    """Read the passphrase at ``path``, generating it with mode 0600 if it is missing."""
    if not path.exists():
        _create(path)
    return read_passphrase(path)


def _create(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fp:
            fp.write(secrets.token_urlsafe(PASSPHRASE_BYTES) + "\n")
            fp.flush()
            os.fsync(fp.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
    finally:
        temporary.unlink(missing_ok=True)
    log.info(
        "PGP plugin: generated the passphrase protecting list secret keys in %s "
        "(mode 0600); back it up with the database.",
        path,
    )
