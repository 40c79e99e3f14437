"""OpenPGP for the list: keys, encryption, signatures. No Mailman, no email imports.

What the list makes (keys, signatures, per-recipient encryption) is made in-process
with pysequoia (`keys`, `messages`); what the world sends is read through a Stateless
OpenPGP (SOP) command such as ``sqop`` (`sop`), which reads every message GnuPG and other
clients produce, and when a signature is not good gpg says why (`gnupg`); a signature
made together with the encryption is taken out detached with Sequoia's ``sq``
(`one_pass`). Secrets pass to those commands through pipes only (`process`). Only this
package imports pysequoia; its errors, and those of the commands, are translated here
(`errors`).
"""

from mailman_pgp.openpgp.errors import (
    CommandTimedOut,
    CommandUnavailable,
    DecryptionError,
    KeyCannotEncrypt,
    KeyCannotSign,
    KeyExpired,
    KeyParseError,
    KeyRevoked,
    KeyTooLarge,
    KeyUnusable,
    MalformedMessage,
    NotAnUpdate,
    NotASingleCertificate,
    NotSignedInside,
    OpenPGPError,
    PlaintextTooLarge,
    RevocationGiven,
    RevocationRefused,
    SecretKeyGiven,
    SigningError,
    UserIDMismatch,
)
from mailman_pgp.openpgp.keys import (
    Certificate,
    KeyAlgorithm,
    KeyLimits,
    KeyPart,
    SecretKey,
    generate_key,
    load_certificate,
    load_secret_key,
    minimal_certificate,
    parse_certificate,
)
from mailman_pgp.openpgp.messages import (
    CleartextVerified,
    Decrypted,
    DetachedSignature,
    cleartext_text,
    decrypt,
    decrypt_content,
    decrypt_own,
    encrypt,
    encrypt_to_all,
    sign_detached,
    verify_cleartext,
    verify_detached,
)
from mailman_pgp.openpgp.one_pass import one_pass_signature
from mailman_pgp.openpgp.sop import SOP
from mailman_pgp.openpgp.verification import SignatureStatus, Verification

__all__ = [
    "SOP",
    "Certificate",
    "CleartextVerified",
    "CommandTimedOut",
    "DecryptionError",
    "Decrypted",
    "DetachedSignature",
    "KeyAlgorithm",
    "KeyCannotEncrypt",
    "KeyCannotSign",
    "KeyExpired",
    "KeyLimits",
    "KeyParseError",
    "KeyPart",
    "KeyRevoked",
    "KeyTooLarge",
    "KeyUnusable",
    "MalformedMessage",
    "NotASingleCertificate",
    "NotAnUpdate",
    "NotSignedInside",
    "OpenPGPError",
    "PlaintextTooLarge",
    "RevocationGiven",
    "RevocationRefused",
    "CommandUnavailable",
    "SecretKey",
    "SecretKeyGiven",
    "SignatureStatus",
    "SigningError",
    "UserIDMismatch",
    "Verification",
    "cleartext_text",
    "decrypt",
    "decrypt_content",
    "decrypt_own",
    "encrypt",
    "encrypt_to_all",
    "generate_key",
    "load_certificate",
    "load_secret_key",
    "minimal_certificate",
    "one_pass_signature",
    "parse_certificate",
    "sign_detached",
    "verify_cleartext",
    "verify_detached",
]
