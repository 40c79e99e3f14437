"""What a PGP list keeps of its posts between runners or for later: sealed, opened in memory.

A post that arrived encrypted stays as it arrived wherever Mailman keeps it. What the list
makes of its posts for later (a digest waiting in a queue, a post that arrived in the clear
collected for a digest, a copy in the list's own archive) is *sealed*: a PGP/MIME
``multipart/encrypted`` message whose whole content, headers included, is encrypted to
the list key (and, for the archive, to the archive keys), with only the few headers the
caller names outside. `readable_post` and `open_sealed` open either kind in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import deepcopy
from email.header import Header
from email.message import Message

from mailman.email.message import Message as MailmanMessage
from public import public

from mailman_pgp.mime import (
    CONTENT_HEADERS,
    DEFAULT_MIME_LIMITS,
    DEPTH_CEILING,
    MessageKind,
    MIMELimits,
    build_encrypted,
    classify,
    parse_entity,
    split_signed,
)
from mailman_pgp.openpgp import (
    SOP,
    Certificate,
    DecryptionError,
    SecretKey,
    decrypt_content,
    decrypt_own,
    encrypt_to_all,
)
from mailman_pgp.posting.encrypted_post import (
    ENCRYPTED_KINDS,
    NotTheCheckedPost,
    encrypted_part,
    post_content,
)

# RFC 9788's placeholder for a Subject that travels only inside the encryption.
PLACEHOLDER_SUBJECT = "[...]"
# msgdata key of a sealed message in a queue: the SHA-256 of its ciphertext, so that
# what is opened at delivery is what the list sealed.
SEALED_TO_LIST = "pgp_sealed_to_list"
public(PLACEHOLDER_SUBJECT=PLACEHOLDER_SUBJECT, SEALED_TO_LIST=SEALED_TO_LIST)


@public
def seal(content: bytes, recipients: Sequence[Certificate],
         headers: Iterable[tuple[str, str | Header]]) -> MailmanMessage:
    """``content`` (a whole MIME entity) encrypted to ``recipients``, ``headers`` outside.

    Raises `KeyUnusable` when one of ``recipients`` cannot be encrypted to.
    """
    return build_encrypted(
        encrypt_to_all(content, recipients), _class=MailmanMessage,
        envelope=[(name, value) for name, value in headers
                  if name.lower() not in CONTENT_HEADERS])


@public
def sealed_digest(msg: Message) -> str:
    """What `SEALED_TO_LIST` records of a sealed ``msg``: the SHA-256 of its ciphertext."""
    return encrypted_part(msg).digest


@public
def open_sealed(msg: Message, key: SecretKey, *, digest: str) -> MailmanMessage:
    """The entity sealed in ``msg``, decrypted in memory with ``key``.

    Only when its ciphertext has ``digest`` (`NotTheCheckedPost` otherwise). What the list
    sealed itself is read without the limits put on what the world sends.
    """
    part = encrypted_part(msg)
    if part.digest != digest:
        raise NotTheCheckedPost("The sealed message is not the one the list sealed.")
    plaintext = decrypt_own(part.ciphertext, key)
    if not plaintext.strip():
        raise DecryptionError("The message decrypted to nothing.")
    return _as_mailman(parse_entity(plaintext, limits=_OWN_MAKING))


@public
def readable_post(msg: Message, key: SecretKey, *, sop: SOP, max_plaintext: int,
                  mime_limits: MIMELimits = DEFAULT_MIME_LIMITS,
                  digest: str | None = None) -> MailmanMessage:
    """The post ``msg`` as its readers see it, in memory: decrypted, headers from inside first.

    The headers of the decrypted content (a Subject protected by RFC 9788 or Enigmail's
    ``protected-headers``, or a sealed message's own) win over the outer ones of the same
    name; the outer ones add the rest. The sender's signature wrapper is taken off. A post
    that is not encrypted comes back as a copy. With ``digest``, the ciphertext must be the
    one the posting chain checked (`NotTheCheckedPost`). Raises as `post_content` does.
    """
    if classify(msg) not in ENCRYPTED_KINDS:
        return _as_mailman(deepcopy(msg))
    part = encrypted_part(msg)
    if digest is not None and part.digest != digest:
        raise NotTheCheckedPost(
            "The message is not the one the list checked when it arrived: its encrypted"
            " content differs.")
    if part.kind is MessageKind.INLINE_ENCRYPTED:
        content = post_content(msg, key, digest=part.digest, sop=sop,
                               max_plaintext=max_plaintext, mime_limits=mime_limits)
    else:
        try:
            plaintext = decrypt_content(part.ciphertext, key, sop=sop,
                                        max_plaintext=max_plaintext)
        except DecryptionError:
            # What the list sealed itself (a post that came in the clear), which the SOP
            # command may not read (see `decrypt_own`), held to the same limit.
            plaintext = decrypt_own(part.ciphertext, key, max_plaintext=max_plaintext)
        if not plaintext.strip():
            raise DecryptionError("The message decrypted to nothing.")
        entity = parse_entity(plaintext, limits=mime_limits)
        content = entity
        if classify(entity) is MessageKind.PGP_MIME_SIGNED:
            content = split_signed(entity).content
            _add_missing(content, entity.items())
    _add_missing(content, msg.items())
    return _as_mailman(content)


def _add_missing(content: Message, headers: Iterable[tuple[str, object]]) -> None:
    """Give ``content`` each message header of ``headers`` it does not carry itself."""
    present = {name.lower() for name in content.keys()}
    for name, value in headers:
        if name.lower() not in CONTENT_HEADERS and name.lower() not in present:
            content[name] = value  # type: ignore[assignment]


def _as_mailman(entity: Message) -> MailmanMessage:
    """``entity`` as Mailman's own `Message`, which Mailman's digesters and archivers expect."""
    if isinstance(entity, MailmanMessage):
        return entity
    # A fresh object of Mailman's class holding the same state, with nothing re-parsed.
    converted = MailmanMessage()
    converted.__dict__.update(entity.__dict__)
    return converted


# What the list sealed itself has no hostile structure to fear, but a digest of many
# posts holds more parts, and nests three levels deeper, than one post may.
_OWN_MAKING = MIMELimits(depth=DEPTH_CEILING, parts=1_000_000)
