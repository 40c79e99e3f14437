"""A mail to a PGP list's -request address, opened: the commands it carries, and who signed it.

Subscribers send commands and confirmations signed by their key, and mail programs often
encrypt a reply to an encrypted message, so the commands may be inside the encryption.
The command runner opens such a mail once, in memory (`open_command_mail`), so that
Mailman's command finder reads the opened content; a command that needs a signature asks
`CommandMail.signed_by` with the key it expects. The mail in progress is `current_mail()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from mailman.email.message import Message as MailmanMessage
from public import public

from mailman_pgp.mime import (
    DEFAULT_MIME_LIMITS,
    MessageKind,
    MIMEError,
    MIMELimits,
    classify,
    content_entity,
    entity_bytes,
    envelope_headers,
    find_inline,
    split_signed,
    without_key_blocks,
)
from mailman_pgp.openpgp import (
    SOP,
    Certificate,
    MalformedMessage,
    OpenPGPError,
    SecretKey,
    SignatureStatus,
    Verification,
    cleartext_text,
    verify_cleartext,
    verify_detached,
)
from mailman_pgp.posting.encrypted_post import NotEncrypted, open_post, text_entity

_CURRENT: ContextVar[CommandMail | None] = ContextVar("pgp_command_mail", default=None)
NOT_SIGNED = Verification(SignatureStatus.NO_SIGNATURE)


@public
@dataclass
class CommandMail:
    """A mail of commands as it arrived (``original``), opened, and as Mailman's runner reads it.

    ``content`` is the opened content (decrypted, the signature wrapper taken off): the
    commands take attached keys from it. ``view`` carries the original's headers over
    that content with its armored key blocks left out, so Mailman's command finder reads
    the commands and never quotes a key back in its reply. ``problem`` says why the mail
    could not be opened, when it could not.
    """

    original: Message
    content: Message
    view: Message
    problem: str | None = None
    _list_key: SecretKey | None = field(default=None, repr=False)
    _sop: SOP = field(default_factory=SOP, repr=False)
    _max_plaintext: int = 0
    _mime_limits: MIMELimits = field(default_factory=MIMELimits, repr=False)
    _checked: dict[str, Verification] = field(default_factory=dict, repr=False)

    @property
    def sender(self) -> str | None:
        """The address Mailman takes as the mail's sender, lower case (``msg.sender``)."""
        sender = getattr(self.view, "sender", None)
        return str(sender).lower() if sender else None

    def signed_by(self, certificate: Certificate) -> bool:
        """Whether the mail carries a good signature by ``certificate``'s key."""
        verification = self.verification(certificate)
        return verification.is_good and verification.signer_fingerprint == (
            certificate.fingerprint)

    def verification(self, certificate: Certificate) -> Verification:
        """How a signature of the mail checks out against ``certificate`` (once per key)."""
        if certificate.fingerprint not in self._checked:
            self._checked[certificate.fingerprint] = self._verify(certificate)
        return self._checked[certificate.fingerprint]

    def _verify(self, certificate: Certificate) -> Verification:
        kind = classify(self.original)
        try:
            if kind in (MessageKind.PGP_MIME_ENCRYPTED, MessageKind.INLINE_ENCRYPTED):
                if self._list_key is None:
                    return NOT_SIGNED
                return open_post(self.original, self._list_key, verify_with=[certificate],
                                 sop=self._sop, max_plaintext=self._max_plaintext,
                                 mime_limits=self._mime_limits).verification
            if kind is MessageKind.PGP_MIME_SIGNED:
                parts = split_signed(self.original)
                return verify_detached(parts.signed_bytes, parts.signature, [certificate],
                                       sop=self._sop)
            if kind is MessageKind.INLINE_SIGNED:
                return verify_cleartext(find_inline(self.original).armor, [certificate],
                                        sop=self._sop).verification
        except (NotEncrypted, MIMEError, OpenPGPError):
            return Verification(SignatureStatus.BAD)
        return NOT_SIGNED


@public
def open_command_mail(msg: Message, list_key: SecretKey, *, sop: SOP, max_plaintext: int,
                      mime_limits: MIMELimits = DEFAULT_MIME_LIMITS) -> CommandMail:
    """Open ``msg`` in memory for the command runner; never raises for what it holds.

    An encrypted mail is decrypted with ``list_key`` (within ``max_plaintext`` bytes and
    ``mime_limits``);
    a signed one has its signature wrapper taken off; anything else is read as it is.
    """
    mail = CommandMail(msg, msg, _view(msg, msg), _list_key=list_key, _sop=sop,
                       _max_plaintext=max_plaintext, _mime_limits=mime_limits)
    kind = classify(msg)
    try:
        if kind in (MessageKind.PGP_MIME_ENCRYPTED, MessageKind.INLINE_ENCRYPTED):
            content = open_post(msg, list_key, verify_with=[], sop=sop,
                                max_plaintext=max_plaintext, mime_limits=mime_limits).content
        elif kind is MessageKind.PGP_MIME_SIGNED:
            content = split_signed(msg).content
        elif kind is MessageKind.INLINE_SIGNED:
            inline = find_inline(msg)
            content = text_entity(cleartext_text(inline.armor), inline.charset)
        else:
            return mail
    except (NotEncrypted, MIMEError, MalformedMessage) as error:
        mail.problem = str(error)
        return mail
    except OpenPGPError as error:
        mail.problem = str(error)
        return mail
    mail.content = content
    mail.view = _view(msg, content)
    return mail


@public
def current_mail() -> CommandMail | None:
    """The mail of commands the runner is processing now, if it opened one."""
    return _CURRENT.get()


@public
@contextmanager
def processing(mail: CommandMail) -> Iterator[CommandMail]:
    """Make ``mail`` the `current_mail` while its commands run."""
    token = _CURRENT.set(mail)
    try:
        yield mail
    finally:
        _CURRENT.reset(token)


def _view(outer: Message, content: Message) -> Message:
    """``content`` without key blocks, under the headers of ``outer`` not about its body."""
    headers = "".join(f"{name}: {value}\n" for name, value in envelope_headers(outer))
    body = without_key_blocks(content if content is not outer else content_entity(outer))
    view = message_from_bytes(headers.encode("utf-8", "surrogateescape")
                              + entity_bytes(body, "\n"), MailmanMessage)
    view.set_unixfrom(outer.get_unixfrom())
    return view
