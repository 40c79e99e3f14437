"""The per-recipient fan-out of a PGP list post: MIME in, one PGP/MIME message per recipient out.

RFC 3156 sign-then-encrypt: the content is signed once with the list key as a
``multipart/signed`` entity, and that same entity is encrypted separately to each
recipient's key. Each copy comes out as the bytes SMTP transmits, rendered from one
frame per post (`EncryptedCopies`), so a recipient costs little more than the
encryption itself. No SMTP here, so the fan-out can be timed on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass
from email.header import Header
from email.message import Message

from public import public

from mailman_pgp.mime import EncryptedCopies, build_signed, canonical_bytes, entity_bytes
from mailman_pgp.openpgp import Certificate, KeyUnusable, SecretKey, encrypt, sign_detached

# Headers that describe the body; every copy gets its own from the PGP/MIME frame.
_CONTENT_HEADERS = frozenset(
    {
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "content-description",
        "content-id",
        "mime-version",
    }
)


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
    signed_bytes = canonical_bytes(content)
    signature = sign_detached(signed_bytes, key)
    signed = build_signed(signed_bytes, signature.armor, f"pgp-{signature.hash_algorithm}")
    # build_signed keeps the signed part byte-exact and checks it; canonicalizing the
    # whole again would only cost time.
    return entity_bytes(signed, "\r\n")


@public
def envelope_headers(post: Message) -> list[tuple[str, str | Header]]:
    """The headers of ``post`` each copy carries outside the encryption, in order.

    Subject, From, To, Message-ID, List-* and the rest; not the Content-* headers,
    which describe the encrypted body as it arrived rather than the copy.
    """
    return [(name, value) for name, value in post.items() if name.lower() not in _CONTENT_HEADERS]


@public
def message_content(msg: Message) -> Message:
    """A copy of ``msg`` with only the headers that describe its body: what gets signed.

    The complement of `envelope_headers`, for a message the list writes itself (a
    notice, a reply) rather than a post it opened.
    """
    content = deepcopy(msg)
    for name in {name.lower() for name in content.keys()} - _CONTENT_HEADERS:
        del content[name]
    return content


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
