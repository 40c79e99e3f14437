"""The author of a post: the one address of its one From header.

A PGP list binds a post to its author's key, so the author must be unambiguous: a
post with several From headers or several addresses in one (or none) has no author.
The header is read as Mailman reads senders (RFC 2047 decoded, then parsed as
addresses), so the rules and Mailman's own moderation see the same address.
"""

from __future__ import annotations

import email.utils
import re
from email.header import decode_header, make_header
from email.message import Message

from public import public

from mailman_pgp.errors import PGPError


@public
class AmbiguousAuthor(PGPError):
    """The post does not have exactly one From header holding exactly one address."""


@public
def post_author(msg: Message) -> str:
    """The lower-cased address of the post's single From; `AmbiguousAuthor` otherwise."""
    headers = msg.get_all("from", [])
    if len(headers) != 1:
        raise AmbiguousAuthor(
            f"The message has {len(headers)} From headers; a post to this list needs exactly"
            " one, naming its author.")
    try:
        decoded = re.sub(r"[\r\n]", "", str(make_header(decode_header(str(headers[0])))))
    except (UnicodeError, LookupError, ValueError):
        raise AmbiguousAuthor("The From header of the message cannot be decoded.") from None
    addresses = [address for _, address in email.utils.getaddresses([decoded]) if address]
    if len(addresses) != 1 or "@" not in addresses[0]:
        raise AmbiguousAuthor(
            "The From header of the message names no address or several; a post to this"
            " list needs exactly one, its author's.")
    return addresses[0].lower()
