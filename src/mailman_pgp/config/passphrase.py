"""The passphrase protecting list secret keys at rest: read it, make it once, rotate it.

The generated file is written to a private temporary name and then hard-linked
into place, so that several Mailman processes starting at once agree on one
passphrase and none ever reads a half-written file.

A rotation of the passphrase (`mailman_pgp.app.passphrase_rotation`) first writes
the new passphrase to the *pending* file, ``$var_dir/pgp/list-key-passphrase.pending``
(in the plugin's secret directory, whatever ``passphrase_file`` names), and removes it
only once the new passphrase is in the passphrase file. While it exists, the stored
keys may be protected by either passphrase: every process reads both (`Passphrases`),
tries both, and protects new keys with the pending one.
"""

import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from public import public

from mailman_pgp.config.errors import ConfigError

log = logging.getLogger("mailman.plugins")

DEFAULT_RELATIVE_PATH = Path("pgp") / "list-key-passphrase"
PENDING_RELATIVE_PATH = Path("pgp") / "list-key-passphrase.pending"
PASSPHRASE_BYTES = 32


@public
@dataclass(frozen=True)
class Passphrases:
    """The passphrase in force and, during a rotation, the pending one; never in a repr."""

    current: str = field(repr=False)
    pending: str | None = field(default=None, repr=False)

    @property
    def newest(self) -> str:
        """What new keys are protected with: the pending passphrase, if a rotation has one."""
        return self.pending or self.current

    @property
    def all(self) -> tuple[str, ...]:
        """Every passphrase a stored key may need, the one in force first."""
        if self.pending is None or self.pending == self.current:
            return (self.current,)
        return (self.current, self.pending)


@public
def default_passphrase_path(var_dir: str | os.PathLike) -> Path:
    """Where the generated passphrase lives when no ``passphrase_file`` is set."""
    return Path(var_dir) / DEFAULT_RELATIVE_PATH


@public
def pending_passphrase_path(var_dir: str | os.PathLike) -> Path:
    """Where a rotation keeps the new passphrase until it is in the passphrase file."""
    return Path(var_dir) / PENDING_RELATIVE_PATH


@public
def generate_passphrase() -> str:
    """A new random passphrase, as the first start generates it."""
    return secrets.token_urlsafe(PASSPHRASE_BYTES)


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
        if create_passphrase_file(path, generate_passphrase()):
            log.info(
                "PGP plugin: generated the passphrase protecting list secret keys in %s "
                "(mode 0600); back it up with the database.",
                path,
            )
    return read_passphrase(path)


@public
def read_pending_passphrase(path: Path) -> str | None:
    """The passphrase an unfinished rotation chose (``path`` is the pending file), or None."""
    if not os.path.lexists(path):
        return None
    return read_passphrase(path)


@public
def read_passphrases(current: Path, pending: Path) -> Passphrases:
    """What the passphrase file and the pending file hold now; `ConfigError` if unusable.

    The pending file is read first. A rotation that finishes meanwhile moves its passphrase
    from the pending file to the passphrase file, so the new passphrase is found in one or
    the other; read the other way round, the old passphrase file and then no pending file
    could be seen, and a key protected with the passphrase the rotation just discarded.
    """
    newest = read_pending_passphrase(pending)
    return Passphrases(read_passphrase(current), newest)


@public
def create_passphrase_file(path: Path, passphrase: str) -> bool:
    """Write ``passphrase`` to ``path`` (mode 0600) unless it exists; whether it was written.

    The file appears whole or not at all, and is on disk (fsync) when this returns:
    it is written under a temporary name in the same directory, then hard-linked into
    place, which fails if another process got there first.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = _write_temporary(path, passphrase, mode=0o600, gid=None)
    try:
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        temporary.unlink(missing_ok=True)
    _sync_directory(path.parent)
    return True


@public
def replace_passphrase_file(path: Path, passphrase: str) -> None:
    """Put ``passphrase`` in the existing file ``path``, atomically, keeping its permissions.

    The new file is written and synced under a temporary name beside ``path``, with the
    old file's mode (other users' bits cleared) and group, then renamed over it: a
    crash leaves either the old file or the new one, never a mix.
    """
    status = path.stat()
    temporary = _write_temporary(
        path, passphrase, mode=stat.S_IMODE(status.st_mode) & 0o770, gid=status.st_gid)
    try:
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_directory(path.parent)


@public
def remove_passphrase_file(path: Path) -> None:
    """Remove ``path`` if it exists, durably."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    _sync_directory(path.parent)


@public
def temporary_files(path: Path) -> list[Path]:
    """Temporary files left beside ``path`` by a write that was interrupted."""
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def _write_temporary(path: Path, passphrase: str, *, mode: int, gid: int | None) -> Path:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fp:
            if gid is not None and gid != os.getegid():
                try:
                    os.fchown(fp.fileno(), -1, gid)
                except PermissionError:
                    pass
            os.fchmod(fp.fileno(), mode)
            fp.write(passphrase + "\n")
            fp.flush()
            os.fsync(fp.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _sync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
