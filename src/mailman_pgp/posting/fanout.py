"""The per-recipient fan-out of a PGP list post: MIME in, one PGP/MIME message per recipient out.

RFC 3156 sign-then-encrypt: the content is signed once with the list key as a
``multipart/signed`` entity, and that same entity is encrypted separately to each
recipient's key. Each copy comes out as the bytes SMTP transmits, rendered from one
frame per post (`EncryptedCopies`), so a recipient costs little more than the
encryption itself. No SMTP here, so the fan-out can be timed on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.header import Header
from email.message import Message

from public import public

from mailman_pgp.mime import EncryptedCopies, build_signed, canonical_bytes, entity_bytes
from mailman_pgp.openpgp import Certificate, KeyUnusable, SecretKey, encrypt, sign_detached


@public
@dataclass(frozen=True)
class Copy:
    """The copy of a post for one recipient, or why there is none (``data`` is None).

    ``data`` is the whole message as SMTP transmits it: CRLF line endings, headers
    included.
    """

    recipient: str
    data: bytes | None
    problem: str | None = None


@public
def sign_content(content: Message, key: SecretKey) -> bytes:
    """The canonical bytes of ``content`` wrapped in ``multipart/signed`` by the list key."""
    return sign_canonical(canonical_bytes(content), key)


@public
def sign_canonical(signed_bytes: bytes, key: SecretKey) -> bytes:
    """``signed_bytes``, an entity in the form it is to be signed in (CRLF), wrapped in
    ``multipart/signed`` by the list key; `MIMEError` if it would not stay so."""
    signature = sign_detached(signed_bytes, key)
    signed = build_signed(signed_bytes, signature.armor, f"pgp-{signature.hash_algorithm}")
    # build_signed keeps the signed part byte-exact and checks it; canonicalizing the
    # whole again would only cost time.
    return entity_bytes(signed, "\r\n")


@public
def fan_out(
    signed: bytes,
    headers: Iterable[tuple[str, str | Header]],
    keys: Mapping[str, Certificate],
) -> Iterator[Copy]:
    """One PGP/MIME ``multipart/encrypted`` copy of ``signed`` per recipient in ``keys``.

    ``signed`` is what `sign_content` returned; each copy is encrypted to its
    recipient's certificate only and carries ``headers``. A recipient whose key can
    no longer encrypt (expired, revoked) gets a `Copy` without data.
    """
    copies = EncryptedCopies(headers)
    for recipient, certificate in keys.items():
        try:
            ciphertext = encrypt(signed, certificate)
        except KeyUnusable as error:
            yield Copy(recipient, None, str(error))
            continue
        yield Copy(recipient, copies.render(ciphertext))
