"""The plugin's own settings: defaults from ``mailman_pgp.cfg``, overridden by the site's file.

Both files are read with Mailman's `external_configuration()`; the site's file may
only name sections and keys that the defaults file has, so a misspelt setting is
an error rather than a silently kept default.
"""

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
    default_passphrase_path,
    read_or_create_passphrase,
    read_passphrase,
)
from mailman_pgp.openpgp import SOP, KeyAlgorithm

DEFAULTS = "python:mailman_pgp.config.mailman_pgp"

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
    or returned by REST; ``[posting]``: who is told of a refusal, and how large a post
    may be once decrypted (`plaintext_limit`); ``confirmation_lifetime``: how long the
    tokens the list sends stay good.
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

    def sop(self) -> SOP:
        """The Stateless OpenPGP command to read what clients send."""
        return SOP(self.sop_command, timeout=self.sop_timeout.total_seconds())

    def plaintext_limit(self, max_message_size_kb: int) -> int:
        """Bytes a post to a list with this ``max_message_size`` may hold, decrypted."""
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
        notify_senders_without_key=_convert(
            parser, "posting", "notify_senders_without_key", as_boolean, "yes or no"),
        max_plaintext_size=_convert(
            parser, "posting", "max_plaintext_size", as_size, "a size such as 25 MB"),
        plaintext_size_factor=_convert(
            parser, "posting", "plaintext_size_factor", _positive, "a whole number above 0"),
        confirmation_lifetime=_convert(
            parser, "confirmations", "lifetime", as_timedelta, "a duration such as 1d"),
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
