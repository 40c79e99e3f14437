"""The plugin's one base exception; every error we raise on purpose derives from it."""

from public import public


@public
class PGPError(Exception):
    """Base of every error of the PGP plugin.

    ``str()`` of any subclass is a sentence fit to show the person concerned (an
    administrator in a REST response, a subscriber in a reply mail); it never carries
    text from a foreign library.
    """
