"""What every member's copy of a PGP list post carries, worked out once per post.

The copies are signed by the list, so they come From the list's posting address with the
author in the display name ("Alice via Crypt") and in Reply-To or Cc, as Mailman's DMARC
``munge_from`` writes them: a client then finds the signer's address in From and takes
the list's Autocrypt header. The header fields come from where they are authentic: the
protected headers inside the sender's signature (RFC 9788 or ``protected-headers="v1"``),
else the outer ones Mailman would pass on, never the outer Reply-To and other fields a
replayed post could have changed. With ``protect_headers``, they travel inside the
encryption too (RFC 9788) and the outer Subject is ``[...]``.

Inside the encryption: the post's content with the list's header and footer (Mailman's
``decorate`` handler, run on the plaintext in memory), or, when the author signed it,
their ``multipart/signed`` entity byte for byte inside a ``multipart/mixed``, so members
can check the author's signature too: as it came when the author signed apart from the
encryption (RFC 3156 6.1), made of the content and the signature taken out of the
encryption when they signed together with it (6.2, `one_pass_signed`), once per post.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import Header
from email.message import Message
from email.utils import formataddr, parseaddr
from secrets import token_hex
from typing import Any

from mailman.email.message import Message as MailmanMessage
from mailman.handlers.cook_headers import process as cook_headers
from mailman.handlers.cook_headers import uheader
from mailman.handlers.decorate import process as decorate
from mailman.handlers.dmarc import munged_headers
from mailman.handlers.subject_prefix import SubjectPrefix
from public import public
from zope.component import getUtility

from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager, IPGPMailingList
from mailman_pgp.mime import (
    MessageKind,
    canonical_bytes,
    classify,
    entity_bytes,
    parse_entity,
    split_signed,
)
from mailman_pgp.mime.autocrypt import AUTOCRYPT, AutocryptHeader
from mailman_pgp.mime.protected_headers import (
    OBSCURED_SUBJECT,
    PROTECTED_FIELDS,
    clear_protected_headers,
    read_protected_headers,
    seven_bit_value,
    without_legacy_display,
    write_protected_headers,
)
from mailman_pgp.openpgp import SignatureStatus, load_certificate, minimal_certificate
from mailman_pgp.posting.author_signature import AuthorSignatureNotKept, one_pass_signed
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.encrypted_post import SignedPostContent
from mailman_pgp.posting.post_number import POST_ID

log = logging.getLogger("mailman.smtp")

# Outer fields a post keeps on its copies although nothing signed them: trace fields
# and the ones the list's own pipeline wrote.
_LIST_FIELDS = frozenset({"received", "precedence", "archived-at", "x-beenthere",
                          "x-list-administrivia"})
_LIST_FIELD_PREFIXES = ("list-", "x-mailman-")
# Fields the outer header may supply when the author protected none (or not these): what
# a reader's client needs to address and thread a reply, and the author's display name
# (From's address is always the one the posting chain bound the post to).
_ADDRESSING = ("From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References")


@public
@dataclass(frozen=True)
class PostCopy:
    """What each member's copy of one post carries.

    ``content`` is the MIME entity, as bytes (CRLF), that the list signs and each copy
    encrypts; ``headers`` the fields outside the encryption, in order.
    """

    content: bytes
    headers: list[tuple[str, str | Header]]


@public
def post_copy(mlist, pgp_list: IPGPMailingList, msg: Message, msgdata: Mapping[str, Any],
              opened: SignedPostContent, author: str) -> PostCopy:
    """The copy of the post ``msg`` for every member, from its decrypted content ``opened``.

    ``opened.entity`` is the decrypted post with the author's ``multipart/signed``
    wrapper, if any; ``author`` the address the posting chain bound the post to.
    """
    entity = opened.entity
    signed = entity if classify(entity) is MessageKind.PGP_MIME_SIGNED else None
    root = split_signed(entity).content if signed is not None else entity
    fields = _header_fields(mlist, msg, msgdata, root, author)
    outer = [(name, OBSCURED_SUBJECT if name == "Subject" and pgp_list.protect_headers
              else value) for name, value in fields]
    content = None
    if not pgp_list.strip_sender_signature and not mlist.anonymous_list:
        if signed is None:
            signed = _signed_in_one_pass(mlist, pgp_list, msg, msgdata, opened, author)
        if signed is not None:
            content = _around_signed(mlist, msgdata, signed, fields, outer,
                                     pgp_list.protect_headers)
            if content is None:
                _not_kept(mlist, msg, "its signed part would not come out as signed")
    if content is None:
        payload = deepcopy(root)
        without_legacy_display(payload)
        _decorated(mlist, msgdata, payload, fields)
        _mark(payload, fields, outer, pgp_list.protect_headers)
        content = canonical_bytes(payload)
    return PostCopy(content, _outer_headers(mlist, pgp_list, msg, outer))


def _signed_in_one_pass(mlist, pgp_list: IPGPMailingList, msg: Message,
                        msgdata: Mapping[str, Any], opened: SignedPostContent,
                        author: str) -> Message | None:
    """The author's signature made together with the encryption, around the content it
    covers (`one_pass_signed`); None when the post has none to keep or it cannot be kept.

    Only a good signature by the author's confirmed key, as the posting chain found it,
    is taken out, and it must verify by that key again over what the copies carry.
    """
    check = PostCheck.load(msgdata)
    if opened.plaintext is None or check is None \
            or check.status in (None, SignatureStatus.NO_SIGNATURE):
        return None
    if not check.signed_by_sender:
        _not_kept(mlist, msg, "it is not a good signature by the author's confirmed key")
        return None
    key = getUtility(IPGPAddressKeyManager).get(author)
    if key is None or not key.confirmed or key.fingerprint != check.sender_key:
        _not_kept(mlist, msg, "the author's confirmed key changed since the post was checked")
        return None
    try:
        return one_pass_signed(opened, getUtility(IPGPListManager).secret_key(pgp_list),
                               key.certificate(), sop=pgp_config().sop())
    except AuthorSignatureNotKept as error:
        _not_kept(mlist, msg, str(error))
        return None


def _not_kept(mlist, msg: Message, why: str) -> None:
    log.info("%s to %s: the author's signature could not be kept inside the copies: %s",
             msg.get("message-id", "n/a"), mlist.list_id, why)


def _around_signed(mlist, msgdata: Mapping[str, Any], signed: Message,
                   fields: list[tuple[str, str]], outer: list[tuple[str, str]],
                   protect: bool) -> bytes | None:
    """The author's ``multipart/signed`` entity, byte for byte, in a decorated
    ``multipart/mixed``; None if it would not come out as the author signed it."""
    kept = deepcopy(signed)
    for name in {name.lower() for name in kept.keys()}:
        if not (name.startswith("content-") or name == "mime-version"):
            del kept[name]
    payload = Message()
    payload.add_header("Content-Type", "multipart/mixed", boundary="=_" + token_hex(16))
    payload.set_payload([kept])
    _decorated(mlist, msgdata, payload, fields)
    _mark(payload, fields, outer, protect)
    content = entity_bytes(payload, "\r\n")
    written = [part for part in parse_entity(content).walk()
               if classify(part) is MessageKind.PGP_MIME_SIGNED]
    if len(written) != 1 or split_signed(written[0]).signed_bytes != \
            split_signed(signed).signed_bytes:
        return None
    return content


def _decorated(mlist, msgdata: Mapping[str, Any], payload: Message,
               fields: Iterable[tuple[str, str]]) -> None:
    """``payload`` with the list's header and footer, as Mailman's ``decorate`` puts them.

    Once per post, so without a member's personal data. The fields are set on it while
    it runs, since archivers' permalinks (``$hyperkitty_url``) are made from them.
    """
    for name, value in fields:
        payload[name] = value
    decorate(mlist, payload, {key: msgdata[key] for key in
                              ("decoration-data", "isdigest", "nodecorate") if key in msgdata})


def _mark(payload: Message, fields: list[tuple[str, str]], outer: list[tuple[str, str]],
          protect: bool) -> None:
    if protect:
        write_protected_headers(payload, fields, outer)
    else:
        clear_protected_headers(payload)


def _header_fields(mlist, msg: Message, msgdata: Mapping[str, Any], root: Message,
                   author: str) -> list[tuple[str, str]]:
    """The fields of every copy, in `PROTECTED_FIELDS` order, from where they are authentic.

    The author's protected headers first; what those lack of the addressing fields comes
    from the outer header, and a Subject from it only when the author protected none.
    Reply-To only ever from inside. From, Reply-To and Cc then as the list sets them.
    """
    protected = read_protected_headers(root)
    found: dict[str, str] = dict(protected.fields) if protected is not None else {}
    for name in _ADDRESSING:
        if name not in found and msg.get(name) is not None:
            found[name] = seven_bit_value(name, msg.get(name))
    if mlist.anonymous_list:
        # The pipeline's cleanse handler gave the post a new Message-ID: the author's
        # could name them.
        found["Message-ID"] = seven_bit_value("Message-ID", msg.get("message-id", ""))
    if "Subject" not in found:
        subject = msgdata.get("original_subject", msg.get("subject"))
        if subject is not None:
            found["Subject"] = seven_bit_value("Subject", subject)
    found["Subject"] = _prefixed(mlist, msgdata, found.get("Subject"))
    found.update(_addressing(mlist, found, author))
    return [(name, found[name]) for name in PROTECTED_FIELDS if found.get(name)]


def _prefixed(mlist, msgdata: Mapping[str, Any], subject: str | None) -> str:
    """``subject`` with the list's prefix, by Mailman's own ``subject-prefix`` handler."""
    scratch = MailmanMessage()
    if subject is not None:
        scratch["Subject"] = subject
    try:
        SubjectPrefix().process(_ListAtPost(mlist, msgdata.get(POST_ID)), scratch, {})
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        # Mailman's handler fails on what it cannot decode; the text stays unprefixed.
        pass
    return seven_bit_value("Subject", scratch.get("subject", subject or ""))


class _ListAtPost:
    """The mailing list as it was when the pipeline numbered the post (its ``post_id``)."""

    def __init__(self, mlist, post_id: object) -> None:
        self._mlist = mlist
        self.post_id = post_id if isinstance(post_id, int) else mlist.post_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mlist, name)


def _addressing(mlist, found: Mapping[str, str], author: str) -> dict[str, str]:
    """From, Reply-To, To and Cc of the copies, as Mailman's handlers write them.

    ``cook-headers`` sets Reply-To as the list says (its own address, an explicit
    one, or the author's Reply-To); the DMARC ``munge_from`` puts the list in From
    with "Author via List", and the author in Reply-To or Cc. An anonymous list shows
    itself alone, as its ``cleanse`` handler does.
    """
    scratch = MailmanMessage()
    name, address = parseaddr(found.get("From", ""))
    scratch["From"] = formataddr((name, author) if address.lower() == author else ("", author))
    for field in ("To", "Cc", "Reply-To"):
        if found.get(field):
            scratch[field] = found[field]
    if mlist.anonymous_list:
        del scratch["from"], scratch["reply-to"]
        scratch["From"] = formataddr((str(uheader(mlist, mlist.description, "From")),
                                      mlist.posting_address))
        scratch["Reply-To"] = mlist.posting_address
    else:
        cook_headers(mlist, scratch, {})
        for field, value in munged_headers(mlist, scratch, {"original_sender": author}):
            del scratch[field]
            scratch[field] = value
    return {field: seven_bit_value(field, scratch[field])
            for field in ("From", "Reply-To", "To", "Cc") if scratch.get(field)}


def _outer_headers(mlist, pgp_list: IPGPMailingList, msg: Message,
                   outer: list[tuple[str, str]]) -> list[tuple[str, str | Header]]:
    """The fields outside the encryption: trace, the copies' own, the list's, Autocrypt."""
    listed = [(name, value) for name, value in msg.items()
              if name.lower() in _LIST_FIELDS or name.lower().startswith(_LIST_FIELD_PREFIXES)]
    trace = [(name, value) for name, value in listed if name.lower() == "received"]
    others = [(name, value) for name, value in listed if name.lower() != "received"]
    headers: list[tuple[str, str | Header]] = [*trace, *outer, *others]
    if pgp_list.autocrypt:
        headers.append((AUTOCRYPT, autocrypt_value(mlist, pgp_list)))
    return headers


@public
def autocrypt_value(mlist, pgp_list: IPGPMailingList) -> str:
    """The Autocrypt header of the list's copies: its posting address and minimal key."""
    address = mlist.posting_address
    keydata = minimal_certificate(load_certificate(pgp_list.public_key), address)
    return AutocryptHeader(address, keydata).value()
