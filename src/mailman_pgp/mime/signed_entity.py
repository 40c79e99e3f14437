"""A decrypted entity and the signature that came inside its encryption, as ``multipart/signed``.

A client that signs and encrypts in one pass (RFC 3156 6.2) signs the MIME entity it
encrypts; once that signature is taken out detached (`mailman_pgp.openpgp.one_pass`), the
entity and the signature make an RFC 3156 section 5 ``multipart/signed`` that can travel
inside another encryption. Its first part is the entity with CRLF line ends, as a part of
a message travels and as a reader verifies it: it verifies only where the author signed
that form (a signature in text mode, or a client that signs CRLF text, as RFC 3156 says),
which the caller checks.
"""

from __future__ import annotations

import re
from email.message import Message

from public import public

from mailman_pgp.mime.pgpmime import build_signed

_LINE_END = re.compile(rb"\r\n|\r|\n")


@public
def crlf_lines(data: bytes) -> bytes:
    """``data`` with each line end (CRLF, LF or a lone CR, as the email package reads
    them) made CRLF."""
    return _LINE_END.sub(b"\r\n", bytes(data))


@public
def signed_entity(entity: bytes, signature: bytes, hash_algorithm: str, *,
                  _class: type[Message] = Message) -> Message:
    """The ``multipart/signed`` of the decrypted ``entity`` and its detached ``signature``.

    ``hash_algorithm`` is the signature's, as RFC 3156 names it after "pgp-" (``sha256``).
    The first part is ``crlf_lines(entity)``, written out byte for byte as that
    (`SignedParts.signed_bytes` of the result); `MIMEError` if it cannot be.
    """
    return build_signed(crlf_lines(entity), signature, f"pgp-{hash_algorithm}",
                        _class=_class)
