"""RFC 3156 PGP/MIME and inline PGP over Python's email package. No Mailman imports.

This layer only moves bytes in and out of MIME: it turns messages into the bytes to
decrypt, sign or verify, and builds messages from the bytes ``mailman_pgp.openpgp``
returns. It works on ``email.message.Message`` objects with the ``compat32`` policy,
which Mailman uses (``mailman.email.message.Message`` is a subclass); functions that
build a message take ``_class`` for the class to build.

- ``classify(msg) -> MessageKind``: PGP/MIME encrypted or signed, inline encrypted or
  signed, or plain; ``encrypted_under_signature(msg)``: encrypted, then signed outside
  (``kinds``).
- ``parse_entity(bytes)`` (within ``MIMELimits``: depth and part count),
  ``entity_bytes(msg)``
  (byte-exact), ``embedded_bytes(part)`` and ``canonical_bytes(msg)`` (what a signature
  covers); ``content_entity(msg)`` and ``envelope_headers(msg)``, the body's and the
  message's headers apart (``entity``).
- ``encrypted_payload(msg)``, ``build_encrypted(ciphertext)``, ``split_signed(msg) ->
  SignedParts`` and ``build_signed(signed_bytes, signature, micalg)`` (``pgpmime``).
- ``EncryptedCopies(headers).render(ciphertext)``: the wire bytes of one recipient's
  copy of a post, the frame around the ciphertext rendered once per post (``copies``).
- ``find_inline(msg) -> InlinePGP`` (``inline``); ``extract_key_blocks(msg)``,
  ``carries_secret_key(msg)``, ``without_key_blocks(msg)`` and
  ``with_attached_key(content, key, filename)`` (``keys``).

Signing: ``data = canonical_bytes(content)``, sign ``data``, then ``build_signed(data,
signature, micalg)``. Verifying: ``split_signed(msg)`` and check ``signature`` over
``signed_bytes``. Every structural problem raises ``MalformedPGPMIME`` (a
``MIMEError``, a ``PGPError``) with a sentence saying what is wrong.
"""

from mailman_pgp.mime.copies import EncryptedCopies
from mailman_pgp.mime.entity import (
    CONTENT_HEADERS,
    DEFAULT_MIME_LIMITS,
    DEPTH_CEILING,
    MAX_DEPTH,
    MIMELimits,
    canonical_bytes,
    content_entity,
    embedded_bytes,
    entity_bytes,
    envelope_headers,
    mime_depth,
    mime_shape,
    parse_entity,
)
from mailman_pgp.mime.errors import (
    MalformedPGPMIME,
    MIMEError,
    NestedTooDeeply,
    TooManyParts,
    UnreadableEntity,
)
from mailman_pgp.mime.inline import InlinePGP, find_inline
from mailman_pgp.mime.keys import (
    carries_secret_key,
    extract_key_blocks,
    with_attached_key,
    without_key_blocks,
)
from mailman_pgp.mime.kinds import MessageKind, classify, encrypted_under_signature
from mailman_pgp.mime.pgpmime import (
    SignedParts,
    build_encrypted,
    build_signed,
    encrypted_payload,
    split_signed,
)

__all__ = [
    "CONTENT_HEADERS",
    "content_entity",
    "envelope_headers",
    "DEFAULT_MIME_LIMITS",
    "DEPTH_CEILING",
    "MAX_DEPTH",
    "MIMELimits",
    "EncryptedCopies",
    "InlinePGP",
    "MIMEError",
    "MalformedPGPMIME",
    "MessageKind",
    "NestedTooDeeply",
    "SignedParts",
    "TooManyParts",
    "UnreadableEntity",
    "build_encrypted",
    "build_signed",
    "canonical_bytes",
    "carries_secret_key",
    "classify",
    "embedded_bytes",
    "encrypted_under_signature",
    "entity_bytes",
    "encrypted_payload",
    "extract_key_blocks",
    "find_inline",
    "mime_depth",
    "mime_shape",
    "parse_entity",
    "split_signed",
    "with_attached_key",
    "without_key_blocks",
]
