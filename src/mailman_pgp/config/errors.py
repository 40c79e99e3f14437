"""The error raised for a PGP plugin configuration that cannot be used."""

from public import public

from mailman_pgp.errors import PGPError


@public
class ConfigError(PGPError):
    """The plugin's settings or its passphrase file are wrong; says which and why."""
