# Test what each member of a PGP list receives, through real Mailman runners and read with
# real GnuPG: a copy From the list ("Alice via Crypto"), its Subject and other fields inside
# the encryption (RFC 9788, outer Subject "[...]"), the list's prefix applied there once, an
# Autocrypt header with the list's key, the list's header and footer inside the signed part,
# the author's own signature kept inside and verifying (signed apart from the encryption, or
# with it in one pass as gpg --sign --encrypt does; not when the author's program signed LF
# line ends), and the list's switches (sign_outgoing, strip_sender_signature,
# protect_headers). A post changed on its way to the list (new outer Subject and Reply-To)
# reaches nobody with those changes.

import re
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest

from mailman_pgp.mime.autocrypt import parse_autocrypt
from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.client_mail import (
    crlf,
    pgp_mime_signed_entity,
    quoted_printable,
    split_signed_raw,
    text_body,
)

LIST = "crypto@example.com"


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("alice", "alice@example.com")
    cast.add("bob", "bob@example.com")
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    from mailman.database.transaction import transaction

    scene = PGPListScenario(mailman, people, LIST)
    with transaction():
        scene.mlist.display_name = "Crypto"
    scene.subscribe("alice", "bob")
    return scene


def change(scenario, **values) -> None:
    """Set attributes of the list (``mlist__name``) or its PGP settings, committed."""
    from mailman.database.transaction import transaction

    with transaction():
        for name, value in values.items():
            target, _, attribute = name.rpartition("__")
            setattr(scenario.mlist if target == "mlist" else scenario.pgp_list,
                    attribute or name, value)


def decoded(value) -> str:
    return str(make_header(decode_header(str(value))))


def with_outer(raw: bytes, **fields: str) -> bytes:
    """``raw`` with outer header fields replaced or added, as anyone on the way can."""
    msg = message_from_bytes(raw)
    for name, value in fields.items():
        name = name.replace("_", "-")
        del msg[name]
        msg[name] = value
    return msg.as_bytes()


def post(scenario, people, raw: bytes) -> Message:
    """Send ``raw`` to the list and return Bob's one copy."""
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    [copy] = scenario.delivered()[people["bob"].email]
    return copy


def opened(person, copy: Message, *, list_signed: bool = True) -> tuple[bytes, Message]:
    """What ``person``'s GnuPG makes of ``copy``: the content bytes, parsed too.

    With ``list_signed`` the content must be the first part of a multipart/signed whose
    signature GnuPG finds good and made by the list's key.
    """
    assert copy.get_content_type() == "multipart/encrypted"
    decrypted = person.client.decrypt(copy.get_payload()[1].get_payload().encode("ascii"))
    assert decrypted.has("DECRYPTION_OKAY"), decrypted.stderr
    if not list_signed:
        assert not decrypted.has("GOODSIG")
        return decrypted.output, message_from_bytes(decrypted.output)
    signed, signature = split_signed_raw(decrypted.output)
    checked = person.client.verify_detached(signature, signed)
    assert checked.has("GOODSIG"), checked.stderr
    return signed, message_from_bytes(signed)


def texts_of(content: Message) -> list[str]:
    """The decoded text/plain parts of ``content``, in order, LF line ends."""
    return [part.get_payload(decode=True).decode().replace("\r\n", "\n")
            for part in content.walk() if part.get_content_type() == "text/plain"]


def knows_alice(people) -> None:
    """Bob's GnuPG holds Alice's public key, as a member who checks authors' signatures."""
    alice = people["alice"]
    people["bob"].client.import_key(alice.client.export(alice.email))


def authors_signed_entity(content: bytes) -> bytes:
    """The author's multipart/signed entity inside the list's content, as its bytes."""
    start = content.index(b"Content-Type: multipart/signed")
    boundary = re.search(rb'boundary="([^"]+)"', content[start:]).group(1)
    end = content.index(b"--" + boundary + b"--", start) + len(boundary) + 4
    return content[start:end] + b"\r\n"


def thunderbird_inner(subject: str, text: str) -> bytes:
    """The entity Thunderbird encrypts and signs: protected headers, "v1" marked."""
    return crlf(
        'Content-Type: multipart/mixed; boundary="tb1"; protected-headers="v1"\n'
        "From: Alice <alice@example.com>\n"
        f"To: {LIST}\n"
        f"Subject: {subject}\n\n"
        "--tb1\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
    ) + quoted_printable(text) + b"\r\n--tb1--\r\n"


def gpg_post(scenario, people, text: str, subject: str, **outer: str) -> bytes:
    """A post as gpg or Mutt sends it: signed and encrypted at once, Subject outside only."""
    raw = scenario.pgp_mime_post(people["alice"], text, subject=subject)
    return with_outer(raw, From="Alice <alice@example.com>", **outer)


def signed_then_encrypted(scenario, people, text: str, subject: str) -> bytes:
    """RFC 3156 6.1: a multipart/signed entity by Alice, encrypted without a signature."""
    alice = people["alice"]
    content = text_body(text)
    entity = pgp_mime_signed_entity(content, alice.client.sign_detached(content))
    raw = scenario.pgp_mime_post(alice, "", subject=subject, sign=False, inner=entity)
    return with_outer(raw, From="Alice <alice@example.com>")


# The two ways an author signs a PGP/MIME post (RFC 3156 6.1 and 6.2).
POSTS = {"signed_apart": signed_then_encrypted, "one_pass": gpg_post}


def list_signer(person, copy: Message) -> str:
    """The fingerprint of the key whose signature ``person``'s GnuPG finds good on ``copy``."""
    decrypted = person.client.decrypt(copy.get_payload()[1].get_payload().encode("ascii"))
    signed, signature = split_signed_raw(decrypted.output)
    return person.client.verify_detached(signature, signed).line("VALIDSIG")[-1]


def test_a_copy_comes_from_the_list_with_its_subject_inside(scenario, people):
    raw = gpg_post(scenario, people, "Hello list\n", "Plain subject",
                   Reply_To="alice-elsewhere@example.org")
    copy = post(scenario, people, raw)

    assert decoded(copy["From"]) == "Alice via Crypto <crypto@example.com>"
    assert copy["Reply-To"] == "Alice <alice@example.com>"
    assert copy["Subject"] == "[...]"
    assert copy["To"] == LIST
    assert copy["Message-ID"] == message_from_bytes(raw)["Message-ID"]
    assert copy["List-Id"] == "<crypto.example.com>"
    # The outer Reply-To nobody signed goes nowhere.
    assert b"alice-elsewhere" not in copy.as_bytes()

    content_bytes, content = opened(people["bob"], copy)
    assert decoded(content["Subject"]) == "[Crypto] Plain subject"
    assert content.get_param("hp") == "cipher"
    assert content.get_param("protected-headers") == "v1"
    assert decoded(content["From"]) == decoded(copy["From"])
    assert content["Reply-To"] == copy["Reply-To"]
    assert content["Message-ID"] == copy["Message-ID"]
    assert "Subject: [...]" in content.get_all("HP-Outer")
    assert b"alice-elsewhere" not in content_bytes
    first, *_, last = texts_of(content)
    # Mailman's default footer follows the text.
    assert first.startswith("Hello list\n")
    assert f"To unsubscribe send an email to {scenario.mlist.leave_address}" in last


def test_each_copy_carries_the_lists_key_in_an_autocrypt_header(scenario, people):
    copy = post(scenario, people, gpg_post(scenario, people, "Key please\n", "Autocrypt"))
    header = parse_autocrypt(copy["Autocrypt"])
    assert header.addr == LIST
    assert header.prefer_encrypt_mutual
    bob = people["bob"].client
    assert bob.fingerprints(header.keydata) == [scenario.list_fingerprint]
    # From names the address the Autocrypt header is for, as clients require.
    assert decoded(copy["From"]).endswith(f"<{header.addr}>")


def test_a_post_changed_on_the_way_keeps_the_subject_the_author_signed(scenario, people):
    alice = people["alice"]
    inner = thunderbird_inner("Meeting at noon", "See you there.\n")
    raw = scenario.pgp_mime_post(alice, "", subject="...", inner=inner)
    changed = with_outer(raw, Subject="URGENT: send the list key",
                         Reply_To="mallory@example.net", From="Alice <alice@example.com>")
    copy = post(scenario, people, changed)

    content_bytes, content = opened(people["bob"], copy)
    assert decoded(content["Subject"]) == "[Crypto] Meeting at noon"
    assert copy["Subject"] == "[...]"
    # Alice's signature made with the encryption travels with the headers it protects.
    assert split_signed_raw(authors_signed_entity(content_bytes))[0] == inner
    assert copy["Reply-To"] == content["Reply-To"] == "Alice <alice@example.com>"
    for seen in (copy.as_bytes(), content_bytes):
        assert b"mallory" not in seen
        assert b"URGENT" not in seen


def test_the_authors_own_signature_travels_inside_and_verifies(scenario, people):
    alice, bob = people["alice"], people["bob"]
    copy = post(scenario, people,
                signed_then_encrypted(scenario, people, "Signed by me\n", "Mine"))
    content_bytes, content = opened(bob, copy)
    assert content.get_content_type() == "multipart/mixed"
    knows_alice(people)
    signed, signature = split_signed_raw(authors_signed_entity(content_bytes))
    checked = bob.client.verify_detached(signature, signed)
    assert checked.has("GOODSIG")
    assert checked.line("VALIDSIG")[-1] == alice.fingerprint
    assert b"Signed by me" in signed


def test_a_signature_made_with_the_encryption_travels_inside_and_verifies(scenario, people):
    alice, bob = people["alice"], people["bob"]
    copy = post(scenario, people, gpg_post(scenario, people, "Signed in one pass\n", "One"))
    content_bytes, content = opened(bob, copy)
    assert list_signer(bob, copy) == scenario.list_fingerprint
    assert content.get_content_type() == "multipart/mixed"
    knows_alice(people)
    signed, signature = split_signed_raw(authors_signed_entity(content_bytes))
    # What Alice's gpg signed and encrypted, byte for byte.
    assert signed == text_body("Signed in one pass\n")
    checked = bob.client.verify_detached(signature, signed)
    assert checked.has("GOODSIG")
    assert checked.line("VALIDSIG")[-1] == alice.fingerprint


def test_a_one_pass_signature_over_lf_text_is_not_kept_and_the_post_goes_out(
        scenario, people):
    from mailman.testing.helpers import LogFileMark

    # The author's program signed the entity with LF line ends, in binary mode: over the
    # CRLF form a copy carries, the signature would not verify.
    inner = text_body("Written with LF line ends\n").replace(b"\r\n", b"\n")
    raw = with_outer(scenario.pgp_mime_post(people["alice"], "", subject="LF", inner=inner),
                     From="Alice <alice@example.com>")
    mark = LogFileMark("mailman.smtp")
    copy = post(scenario, people, raw)
    content_bytes, content = opened(people["bob"], copy)
    assert list_signer(people["bob"], copy) == scenario.list_fingerprint
    assert b"application/pgp-signature" not in content_bytes
    assert texts_of(content)[0].startswith("Written with LF line ends\n")
    log = mark.read()
    assert "the author's signature could not be kept inside the copies" in log
    assert "CRLF line ends" in log


@pytest.mark.parametrize("made", ["signed_apart", "one_pass"])
def test_strip_sender_signature_leaves_only_the_lists(scenario, people, monkeypatch, made):
    from mailman_pgp.mta import member_copy

    def not_called(*args, **kwargs):
        raise AssertionError("the author's signature is taken out although it is stripped")

    monkeypatch.setattr(member_copy, "one_pass_signed", not_called)
    change(scenario, strip_sender_signature=True)
    copy = post(scenario, people, POSTS[made](scenario, people, "Signed by me\n", "Mine"))
    content_bytes, content = opened(people["bob"], copy)
    assert b"application/pgp-signature" not in content_bytes
    assert content.get_content_type() == "text/plain"
    assert b"Signed by me" in content_bytes


@pytest.mark.parametrize("made", ["signed_apart", "one_pass"])
def test_the_lists_header_and_footer_go_inside_the_signed_part(scenario, people, tmp_path,
                                                              made):
    from mailman.database.transaction import transaction
    from mailman.interfaces.template import ITemplateManager
    from zope.component import getUtility

    templates = {"header": "HEADER-of-the-list $display_name",
                 "footer": "FOOTER-of-the-list: $listname"}
    with transaction():
        for which, text in templates.items():
            path = tmp_path / f"{which}.txt"
            path.write_text(text)
            getUtility(ITemplateManager).set(f"list:member:regular:{which}",
                                             scenario.mlist.list_id, path.as_uri())
    alice, bob = people["alice"], people["bob"]
    copy = post(scenario, people, POSTS[made](scenario, people, "Decorated\n", "Decorations"))

    assert b"-of-the-list" not in copy.as_bytes()
    content_bytes, content = opened(bob, copy)
    texts = [part.get_payload(decode=True).decode() for part in content.walk()
             if part.get_content_type() == "text/plain"]
    assert "HEADER-of-the-list Crypto" in texts[0]
    assert f"FOOTER-of-the-list: {LIST}" in texts[-1]
    # The author's signature still verifies beside the decorations.
    knows_alice(people)
    signed, signature = split_signed_raw(authors_signed_entity(content_bytes))
    assert bob.client.verify_detached(signature, signed).line("VALIDSIG")[-1] == \
        alice.fingerprint
    assert b"-of-the-list" not in signed


def test_a_list_that_does_not_sign_sends_copies_only_encrypted(scenario, people):
    change(scenario, sign_outgoing=False)
    copy = post(scenario, people, gpg_post(scenario, people, "Unsigned copy\n", "No sig"))
    content_bytes, content = opened(people["bob"], copy, list_signed=False)
    assert texts_of(content)[0] == "Unsigned copy\n"
    assert decoded(content["Subject"]) == "[Crypto] No sig"
    assert content.get_param("hp") == "cipher"


def test_without_protect_headers_the_subject_travels_outside(scenario, people):
    change(scenario, protect_headers=False)
    copy = post(scenario, people, gpg_post(scenario, people, "Open subject\n", "Visible"))
    assert decoded(copy["Subject"]) == "[Crypto] Visible"
    assert decoded(copy["From"]) == "Alice via Crypto <crypto@example.com>"
    _, content = opened(people["bob"], copy)
    assert content["Subject"] is None
    assert content.get_param("hp") is None


def test_a_numbered_prefix_is_applied_inside_once(scenario, people):
    change(scenario, mlist__subject_prefix="[Crypto %d] ")
    number = scenario.mlist.post_id
    copy = post(scenario, people,
                gpg_post(scenario, people, "A reply\n", "Re: [Crypto 1] Earlier"))
    _, content = opened(people["bob"], copy)
    assert decoded(content["Subject"]) == f"[Crypto {number}] Re: Earlier"
    assert copy["Subject"] == "[...]"


def test_an_anonymous_list_names_nobody(scenario, people):
    change(scenario, mlist__anonymous_list=True)
    copy = post(scenario, people,
                signed_then_encrypted(scenario, people, "Who wrote this?\n", "Anonymous"))
    content_bytes, content = opened(people["bob"], copy)
    for seen in (copy.as_bytes(), content_bytes):
        assert b"alice" not in seen.lower()
    assert decoded(copy["From"]).endswith(LIST)
    assert content["Reply-To"] == LIST
