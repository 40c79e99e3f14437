"""The plugin's own settings: defaults from ``mailman_pgp.cfg``, overridden by the site's file.

Both files are read with Mailman's `external_configuration()`; the site's file may
only name sections and keys that the defaults file has, so a misspelt setting is
an error rather than a silently kept default.
"""

import logging
import os
import re
from collections.abc import Callable
from configparser import ConfigParser
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from lazr.config import as_boolean, as_timedelta
from mailman.config.config import external_configuration
from mailman.interfaces.configuration import MissingConfigurationFileError
from public import public

from mailman_pgp.config.errors import ConfigError
from mailman_pgp.config.passphrase import (
    Passphrases,
    default_passphrase_path,
    pending_passphrase_path,
    read_or_create_passphrase,
    read_passphrase,
    read_passphrases,
    read_pending_passphrase,
)
from mailman_pgp.mime import DEPTH_CEILING, MIMELimits
from mailman_pgp.openpgp import SOP, KeyAlgorithm, KeyLimits

DEFAULTS = "python:mailman_pgp.config.mailman_pgp"

log = logging.getLogger("mailman.plugins")

KB = 1024
MB = 1024 * KB
_UNITS = {"": 1, "B": 1, "KB": KB, "MB": MB, "GB": 1024 * MB}
_SIZE = re.compile(r"(\d+)\s*([KMG]?B|)", re.IGNORECASE)

T = TypeVar("T")


@public
@dataclass(frozen=True)
class PGPConfig:
    """The PGP plugin's settings, as typed values (each documented in ``mailman_pgp.cfg``).

    ``sop_command``/``sop_timeout``: ``[sop]``, the SOP command reading what clients
    send; ``key_algorithm``: ``[keys] algorithm`` of new list keys;
    ``require_user_id``: a subscriber key must carry the address; ``key_passphrase``
    (from ``passphrase_path``) protects list secret keys at rest and is never logged
    or returned by REST; ``pending_passphrase`` (from ``pending_passphrase_path``) is
    the new one of a rotation that is not finished, which stored keys may need too
    (see `mailman_pgp.config.passphrase`); ``[posting]``: who is told of a refusal, and
    the ``replay_window`` of signatures;
    ``confirmation_lifetime``: how long the tokens the list sends stay good; ``[limits]``:
    how large a post may be once decrypted (`plaintext_limit`), how its MIME parts may
    nest (``mime_limits``) and how large a key people send may be (``key_limits``).
    """

    sop_command: str
    sop_timeout: timedelta
    key_algorithm: KeyAlgorithm
    require_user_id: bool
    passphrase_path: Path
    # Protects list secret keys at rest; kept out of repr() so it never reaches a log.
    key_passphrase: str = field(repr=False)
    notify_senders_without_key: bool = False
    max_plaintext_size: int = 25 * MB
    plaintext_size_factor: int = 10
    confirmation_lifetime: timedelta = timedelta(days=1)
    # [delivery]: a post to more recipients than split_above is fanned out in chunks of
    # chunk_size by the out runner's instances (`mailman_pgp.mta.fanout_split`).
    split_above: int = 500
    chunk_size: int = 250
    # [posting] replay_window: how old a signature may be, and how long one is remembered.
    replay_window: timedelta = timedelta(days=7)
    mime_limits: MIMELimits = MIMELimits()
    key_limits: KeyLimits = KeyLimits()
    pending_passphrase_path: Path | None = None
    # Kept out of repr() like key_passphrase.
    pending_passphrase: str | None = field(default=None, repr=False)

    @property
    def passphrases(self) -> Passphrases:
        """The passphrases read at start: the one in force and a rotation's pending one."""
        return Passphrases(self.key_passphrase, self.pending_passphrase)

    def read_passphrases(self) -> Passphrases:
        """The passphrases the files hold now, which a rotation may have changed since the
        start; `ConfigError` if they cannot be read."""
        if self.pending_passphrase_path is None:
            return Passphrases(read_passphrase(self.passphrase_path))
        return read_passphrases(self.passphrase_path, self.pending_passphrase_path)

    def sop(self) -> SOP:
        """The Stateless OpenPGP command to read what clients send."""
        return SOP(self.sop_command, timeout=self.sop_timeout.total_seconds())

    def plaintext_limit(self, max_message_size_kb: int) -> int:
        """Bytes a post to a list with this ``max_message_size`` may hold, decrypted.

        0 for ``max_message_size`` means no limit of the list's own, as in Mailman: the
        site's `max_plaintext_size` applies, which is also what a moderator's approval
        of a post held for its size lifts the list's limit to.
        """
        if max_message_size_kb > 0:
            return min(self.max_plaintext_size,
                       max_message_size_kb * KB * self.plaintext_size_factor)
        return self.max_plaintext_size


@public
def load_config(configuration: str | None, *, var_dir: str | os.PathLike) -> PGPConfig:
    """Read the defaults and, when given, the site's ``configuration`` file over them.

    ``configuration`` is what ``[plugin.pgp] configuration:`` holds: an absolute
    path or a ``python:`` path, as Mailman's own plugins take it. Raises
    `ConfigError` for a missing file, an unknown setting or a value that does not
    convert.
    """
    parser = external_configuration(DEFAULTS)
    if configuration:
        try:
            site = external_configuration(configuration)
        except MissingConfigurationFileError:
            raise ConfigError(
                f"The PGP plugin's configuration file {configuration} does not exist."
            ) from None
        _overlay(parser, site, configuration)
    # The pending file first, as `read_passphrases` reads them: a rotation that finishes
    # meanwhile leaves its passphrase in one of the two.
    pending_path = pending_passphrase_path(var_dir)
    pending = read_pending_passphrase(pending_path)
    passphrase_file = parser.get("keys", "passphrase_file").strip()
    if passphrase_file:
        passphrase_path = Path(passphrase_file)
        if not passphrase_path.is_absolute():
            raise ConfigError(
                f"[keys] passphrase_file must be an absolute path, not {passphrase_file!r}."
            )
        passphrase = read_passphrase(passphrase_path)
    else:
        passphrase_path = default_passphrase_path(var_dir)
        passphrase = read_or_create_passphrase(passphrase_path)
    if pending is not None and pending != passphrase:
        log.warning(
            "PGP plugin: a rotation of the list-key passphrase was not finished (%s "
            "exists): list keys are opened with either passphrase until "
            "`mailman pgp-passphrase rotate` finishes it.", pending_path)
    command = parser.get("sop", "command").strip()
    if not command:
        raise ConfigError("[sop] command must name a Stateless OpenPGP command, e.g. sqop.")
    return PGPConfig(
        sop_command=command,
        sop_timeout=_convert(parser, "sop", "timeout", as_timedelta, "a duration such as 30s"),
        key_algorithm=_convert(
            parser,
            "keys",
            "algorithm",
            KeyAlgorithm,
            "one of " + ", ".join(algorithm.value for algorithm in KeyAlgorithm),
        ),
        require_user_id=_convert(parser, "keys", "require_user_id", as_boolean, "yes or no"),
        passphrase_path=passphrase_path,
        key_passphrase=passphrase,
        pending_passphrase_path=pending_path,
        pending_passphrase=pending,
        notify_senders_without_key=_convert(
            parser, "posting", "notify_senders_without_key", as_boolean, "yes or no"),
        replay_window=_convert(
            parser, "posting", "replay_window", _positive_duration, "a duration such as 7d"),
        max_plaintext_size=_convert(
            parser, "limits", "max_plaintext_size", as_size, "a size such as 25 MB"),
        plaintext_size_factor=_convert(
            parser, "limits", "plaintext_size_factor", _positive, "a whole number above 0"),
        confirmation_lifetime=_convert(
            parser, "confirmations", "lifetime", as_timedelta, "a duration such as 1d"),
        split_above=_convert(parser, "delivery", "split_above", _positive,
                             "a whole number above 0"),
        chunk_size=_convert(parser, "delivery", "chunk_size", _positive,
                            "a whole number above 0"),
        mime_limits=MIMELimits(
            depth=_convert(parser, "limits", "mime_depth", _depth,
                           f"a whole number from 1 to {DEPTH_CEILING}"),
            parts=_convert(parser, "limits", "mime_parts", _positive, "a whole number above 0"),
        ),
        key_limits=KeyLimits(
            size=_convert(parser, "limits", "key_size", as_size, "a size such as 1 MB"),
            user_ids=_convert(parser, "limits", "key_user_ids", _positive,
                              "a whole number above 0"),
            subkeys=_convert(parser, "limits", "key_subkeys", _positive,
                             "a whole number above 0"),
            signatures=_convert(parser, "limits", "key_signatures", _positive,
                                "a whole number above 0"),
        ),
    )


@public
def as_size(text: str) -> int:
    """Bytes in ``text``: a whole number, optionally with a unit (KB, MB, GB; 1 KB = 1024)."""
    found = _SIZE.fullmatch(text.strip())
    if found is None:
        raise ValueError(text)
    number, unit = found.groups()
    size = int(number) * _UNITS[unit.upper()]
    if size <= 0:
        raise ValueError(text)
    return size


def _positive(text: str) -> int:
    number = int(text)
    if number <= 0:
        raise ValueError(text)
    return number


def _positive_duration(text: str) -> timedelta:
    duration = as_timedelta(text)
    if duration <= timedelta(0):
        raise ValueError(text)
    return duration


def _depth(text: str) -> int:
    number = int(text)
    if not 1 <= number <= DEPTH_CEILING:
        raise ValueError(text)
    return number


def _overlay(parser: ConfigParser, site: ConfigParser, where: str) -> None:
    for section in site.sections():
        if not parser.has_section(section):
            raise ConfigError(f"{where}: unknown section [{section}].")
        for key, value in site.items(section, raw=True):
            if key in site.defaults():
                continue
            if not parser.has_option(section, key):
                raise ConfigError(f"{where}: unknown setting {key!r} in [{section}].")
            parser.set(section, key, value)


def _convert(
    parser: ConfigParser, section: str, key: str, convert: Callable[[str], T], expected: str
) -> T:
    value = parser.get(section, key).strip()
    try:
        return convert(value)
    except ValueError:
        raise ConfigError(f"[{section}] {key}: {value!r} is not {expected}.") from None
