# Test that the header fields of a post's copies follow Mailman's own semantics: From munged
# as Mailman's DMARC handler writes it, Reply-To or Cc as cook-headers and the list's
# reply_goes_to_list say, the author's address always the one the chain bound the post to,
# and a numbered subject prefix taken at the number the pipeline recorded. A signature made
# with the encryption is taken out only when the chain found it good by the author's key.

from email import message_from_bytes
from email.header import decode_header, make_header
from types import SimpleNamespace
from typing import Any

import pytest
from mailman.app.lifecycle import create_list
from mailman.database.transaction import transaction
from mailman.interfaces.mailinglist import ReplyToMunging
from mailman.testing.helpers import LogFileMark

from mailman_pgp.mime import MessageKind
from mailman_pgp.mta.member_copy import post_copy
from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.posting.encrypted_post import SignedPostContent
from mailman_pgp.posting.post_number import POST_ID

AUTHOR = "anne@example.com"
# The PGP list's switches, all a copy reads of it.
SWITCHES: Any = SimpleNamespace(protect_headers=True, strip_sender_signature=False,
                           autocrypt=False, sign_outgoing=True)


@pytest.fixture
def mlist(mailman):
    with transaction():
        mlist = create_list("crypt@example.com")
        mlist.display_name = "Crypt"
        mlist.description = "The crypt"
    return mlist


def outer(subject: str = "Hi") -> bytes:
    return (f"From: Anne <{AUTHOR}>\nTo: crypt@example.com\nSubject: {subject}\n"
            "Message-ID: <m@example.com>\nReply-To: someone@example.net\n\nx\n").encode()


def plain(text: str = "Hello\n") -> bytes:
    return f"Content-Type: text/plain; charset=us-ascii\n\n{text}".encode()


def fields_of(mlist, msg: bytes, opened: bytes, msgdata=None) -> dict[str, str]:
    copy = post_copy(mlist, SWITCHES, message_from_bytes(msg), msgdata or {},
                     SignedPostContent(message_from_bytes(opened)), AUTHOR)
    content = message_from_bytes(copy.content)
    return {name: str(make_header(decode_header(value))) for name, value in content.items()}


@pytest.mark.parametrize(("munging", "reply_to", "cc"), [
    (ReplyToMunging.no_munging, "Anne <anne@example.com>", None),
    (ReplyToMunging.point_to_list, "The crypt <crypt@example.com>", "Anne <anne@example.com>"),
    (ReplyToMunging.explicit_header, "talk@example.com", "Anne <anne@example.com>"),
])
def test_from_is_the_list_and_the_author_goes_where_mailman_puts_them(
        mlist, munging, reply_to, cc):
    with transaction():
        mlist.reply_goes_to_list = munging
        mlist.reply_to_address = "talk@example.com"
    fields = fields_of(mlist, outer(), plain())
    assert fields["From"] == "Anne via Crypt <crypt@example.com>"
    assert fields["Reply-To"] == reply_to
    assert fields.get("Cc") == cc
    # The outer Reply-To nobody signed is never kept.
    assert "someone@example.net" not in fields.values()


def test_a_protected_from_with_another_address_names_the_checked_author(mlist):
    opened = (b'Content-Type: text/plain; hp="cipher"\nFrom: Boss <boss@example.com>\n'
              b"Subject: Protected\n\nHello\n")
    fields = fields_of(mlist, outer(), opened)
    assert fields["From"] == "anne--- via Crypt <crypt@example.com>"
    assert fields["Reply-To"] == AUTHOR
    assert fields["Subject"] == "[Crypt] Protected"


def test_a_numbered_prefix_takes_the_number_the_pipeline_recorded(mlist):
    with transaction():
        mlist.subject_prefix = "[Crypt %d] "
        mlist.post_id = 12
    fields = fields_of(mlist, outer("Re: [Crypt 3] Old"), plain(), {POST_ID: 7})
    assert fields["Subject"] == "[Crypt 7] Re: Old"


def test_the_subject_the_pipeline_prefixed_is_not_prefixed_again(mlist):
    fields = fields_of(mlist, outer("[Crypt] Hi"), plain(), {"original_subject": "Hi"})
    assert fields["Subject"] == "[Crypt] Hi"


@pytest.mark.parametrize(("status", "logged"), [
    (SignatureStatus.UNKNOWN_KEY, "it is not a good signature by the author's confirmed key"),
    (SignatureStatus.BAD, "it is not a good signature by the author's confirmed key"),
    (SignatureStatus.NO_SIGNATURE, None),
])
def test_only_a_good_signature_by_the_author_is_taken_out_of_the_encryption(
        mlist, monkeypatch, status, logged):
    from mailman_pgp.mta import member_copy

    def not_called(*args, **kwargs):
        raise AssertionError("a signature the chain did not find good is taken out")

    monkeypatch.setattr(member_copy, "one_pass_signed", not_called)
    msgdata: dict[str, Any] = {}
    PostCheck(CheckOutcome.OPENED, AUTHOR, "0" * 64, status=status,
              kind=MessageKind.PGP_MIME_ENCRYPTED).save(msgdata)
    opened = SignedPostContent(message_from_bytes(plain()), b"ciphertext", plain())
    mark = LogFileMark("mailman.smtp")
    copy = post_copy(mlist, SWITCHES, message_from_bytes(outer()), msgdata, opened, AUTHOR)
    assert b"multipart/signed" not in copy.content
    log = mark.read()
    if logged is None:
        assert "could not be kept" not in log
    else:
        assert f"the author's signature could not be kept inside the copies: {logged}" in log
