"""The errors of the OpenPGP layer; ``str()`` of each is a sentence fit to mail to a person.

Every failure of pysequoia, sqop or gpg is translated into one of these at this layer's
boundary and raised ``from`` the original, whose text (possibly a Rust backtrace) never
appears in our messages.
"""

from public import public

from mailman_pgp.errors import PGPError


@public
class OpenPGPError(PGPError):
    """Base of every error of the OpenPGP layer."""


@public
class KeyParseError(OpenPGPError):
    """The data is not an OpenPGP key: garbage, truncated armor, or a wrong passphrase."""


@public
class NotASingleCertificate(KeyParseError):
    """Zero or several certificates were given where exactly one belongs."""


@public
class SecretKeyGiven(KeyParseError):
    """Secret key material was given where a public key belongs."""


@public
class KeyUnusable(OpenPGPError):
    """A parsed key that cannot be used now."""


@public
class KeyExpired(KeyUnusable):
    """The key has expired."""


@public
class KeyRevoked(KeyUnusable):
    """The key has been revoked by its owner."""


@public
class KeyCannotEncrypt(KeyUnusable):
    """The key has no valid encryption-capable (sub)key."""


@public
class KeyCannotSign(KeyUnusable):
    """The key has no valid signing-capable (sub)key."""


@public
class UserIDMismatch(KeyUnusable):
    """No user ID of the key carries the required address."""


@public
class DecryptionError(OpenPGPError):
    """A message could not be decrypted: not encrypted to our key, tampered, or garbage."""


@public
class SigningError(OpenPGPError):
    """A signature could not be made."""


@public
class MalformedMessage(OpenPGPError):
    """The data is not the kind of OpenPGP message expected (e.g. not cleartext-signed)."""


@public
class NotSignedInside(MalformedMessage):
    """An encrypted message holds no signature inside its encryption (none made with it)."""


@public
class CommandUnavailable(OpenPGPError):
    """An OpenPGP command the list runs (the SOP command, or gpg for the diagnosis of a
    signature) is missing, failed, or timed out."""


@public
class CommandTimedOut(CommandUnavailable):
    """The SOP command (or gpg) did not finish in time and was killed.

    Unlike a missing command, a timeout says something about the message: one that
    takes that long to read is treated as unreadable.
    """


@public
class PlaintextTooLarge(OpenPGPError):
    """A message decrypts (and decompresses) to more than the list reads; reading stopped."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The message is larger than {limit} bytes once decrypted and decompressed,"
            " more than the list reads.")
        self.limit = limit


@public
class NotAnUpdate(KeyParseError):
    """A certificate given as an update of a key is another key."""


@public
class RevocationGiven(KeyParseError):
    """A bare revocation certificate was given where a whole public key belongs."""


@public
class RevocationRefused(OpenPGPError):
    """A revocation certificate that the key it would revoke did not make, or that does
    not verify with that key."""


@public
class KeyTooLarge(KeyParseError):
    """Key material over the list's limits (`KeyLimits`): not parsed further.

    Checked before Sequoia judges the key, whose work grows with the square of the number
    of user IDs: a key with 2,000 of them keeps it busy for seconds.
    """
