"""Wire bytes of the per-recipient PGP/MIME copies of one post.

The copies of a post differ only in their ciphertext. The message around it (envelope
headers, the ``multipart/encrypted`` structure, the version part) is rendered once by
`build_encrypted` and the generator SMTP uses, then each copy is that rendering with its
ciphertext put in: a concatenation instead of building and generating a message per
recipient, which costs more than the encryption itself.
"""

import base64
import io
from collections.abc import Iterable
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message

from public import public

from mailman_pgp.mime.errors import MIMEError
from mailman_pgp.mime.pgpmime import build_encrypted

CRLF = b"\r\n"
# Headers smtplib's send_message leaves out of what it transmits.
_NOT_TRANSMITTED = ("bcc", "resent-bcc")
_SENTINEL = base64.b64encode(b"mailman-pgp: the ciphertext of each copy goes here")
_PLACEHOLDER = (
    b"-----BEGIN PGP MESSAGE-----" + CRLF + CRLF + _SENTINEL + CRLF
    + b"-----END PGP MESSAGE-----" + CRLF
)


@public
class EncryptedCopies:
    """Renders the PGP/MIME ``multipart/encrypted`` copies of a post, as SMTP sends them.

    ``headers`` are the envelope headers every copy carries (Subject, From, To, ...), as
    (name, value) pairs. `render` gives one copy's bytes, CRLF line endings throughout.
    """

    def __init__(self, headers: Iterable[tuple[str, str | Header]]) -> None:
        message = build_encrypted(_PLACEHOLDER, envelope=[
            (name, value) for name, value in headers if name.lower() not in _NOT_TRANSMITTED])
        wire = _smtp_bytes(message)
        if wire.count(_PLACEHOLDER) != 1:
            raise MIMEError("The PGP/MIME frame of the copies could not be rendered.")
        self._head, self._tail = wire.split(_PLACEHOLDER)

    def render(self, ciphertext: bytes) -> bytes:
        """The wire bytes of the copy carrying ``ciphertext`` (ASCII armor, LF or CRLF)."""
        body = ciphertext.replace(CRLF, b"\n").replace(b"\n", CRLF)
        if not body.endswith(CRLF):
            body += CRLF
        return self._head + body + self._tail


def _smtp_bytes(message: Message) -> bytes:
    """``message`` as smtplib's send_message transmits it."""
    buffer = io.BytesIO()
    generator = BytesGenerator(buffer, mangle_from_=False, policy=message.policy)
    generator.flatten(message, linesep="\r\n")
    return buffer.getvalue()
