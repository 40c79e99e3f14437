"""The author's signature made together with the encryption (RFC 3156 6.2), kept for the copies.

A client that signs and encrypts in one pass (GnuPG's ``--sign --encrypt``, Thunderbird,
Mutt) puts its signature inside the encryption, which the list takes off to encrypt a copy
for each member. `one_pass_signed` takes that signature out detached and puts it beside
the content it covers as a ``multipart/signed`` entity, the form of a post signed apart
from its encryption (RFC 3156 6.1), which the copies carry as they carry such a post's.

It does so only when the members can verify it: the first part of a ``multipart/signed``
travels, and is verified, with CRLF line ends, so a signature its author made over LF
text in binary mode is not kept (`AuthorSignatureNotKept`), nor one that is not a good
signature by the author's key over exactly those bytes.
"""

from __future__ import annotations

from email.message import Message

from public import public

from mailman_pgp.errors import PGPError
from mailman_pgp.mime import MIMEError, split_signed
from mailman_pgp.mime.signed_entity import signed_entity
from mailman_pgp.openpgp import (
    SOP,
    Certificate,
    NotSignedInside,
    OpenPGPError,
    SecretKey,
    SignatureStatus,
    one_pass_signature,
    verify_detached,
)
from mailman_pgp.posting.encrypted_post import SignedPostContent


@public
class AuthorSignatureNotKept(PGPError):
    """The author's signature made with the encryption cannot travel inside the copies;
    the text says why."""


@public
def one_pass_signed(content: SignedPostContent, key: SecretKey, author: Certificate, *,
                    sop: SOP) -> Message:
    """``content`` in a ``multipart/signed`` entity with the signature its author made
    together with the encryption, taken out with the list's ``key``.

    The signature must be a good one by the ``author``'s key over exactly the bytes the
    entity's first part carries (`SignedParts.signed_bytes`); `AuthorSignatureNotKept`
    otherwise, and when there is none.
    """
    if content.ciphertext is None or content.plaintext is None:
        raise AuthorSignatureNotKept("The post was not encrypted as PGP/MIME.")
    try:
        signature = one_pass_signature(content.ciphertext, key, content.plaintext, sop=sop)
        signed = signed_entity(content.plaintext, signature.armor, signature.hash_algorithm)
        verification = verify_detached(split_signed(signed).signed_bytes, signature.armor,
                                       [author], sop=sop)
    except NotSignedInside:
        raise AuthorSignatureNotKept(
            "The post carries no signature made together with its encryption.") from None
    except (OpenPGPError, MIMEError) as error:
        raise AuthorSignatureNotKept(str(error)) from error
    if verification.status is SignatureStatus.BAD:
        raise AuthorSignatureNotKept(
            "The author's signature does not verify over the post with CRLF line ends, as"
            " members check it: the author's program signed other line ends.")
    if not verification.is_good:
        raise AuthorSignatureNotKept(
            "The author's signature is not a good one by their confirmed key"
            f" ({verification.status.value.replace('_', ' ')}).")
    return signed
