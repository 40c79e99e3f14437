"""Errors of the PGP/MIME layer: what is wrong with a message's PGP structure."""

from public import public

from mailman_pgp.errors import PGPError


@public
class MIMEError(PGPError):
    """Base of the errors of ``mailman_pgp.mime``; ``str()`` is a sentence for people."""


@public
class MalformedPGPMIME(MIMEError):
    """A message claims to be PGP (MIME or inline) but its structure is broken.

    The text names the defect: a missing part, a wrong ``protocol`` parameter, a
    missing boundary, damaged ASCII armor.
    """


@public
class NestedTooDeeply(MIMEError):
    """An entity nests MIME parts deeper than its limits allow (`MIMELimits`, by default
    `MAX_DEPTH` levels); it is not read further."""


@public
class TooManyParts(MIMEError):
    """An entity holds more MIME parts than its limits allow (`MIMELimits`)."""


@public
class UnreadableEntity(MIMEError):
    """The email package cannot parse an entity at all (e.g. an RFC 2231 parameter whose
    charset name holds a NUL); the text says so, with the parser's reason."""
