# Test that a PGP list inside real Mailman delivers a gpg-made post to each member with a
# key, encrypted to that key and signed by the list, and refuses bad posts with a notice.

from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from uuid import uuid4

import pytest

from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.client_mail import read_as, split_signed_raw, text_of

DATA = Path(__file__).parent / "data"
TEXT = "Grüße aus Köln — ½ € ✓\nZweite Zeile.\n\nFrom the third paragraph on.\n"


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("alice", "alice@example.com", algorithm="future-default")
    cast.add("bob", "bob@example.com",
             key=(DATA / "rsa4096_bob_at_example_com.secret.asc").read_text())
    cast.add("carol", "carol@example.com", keyless=True)
    cast.add("mallory", "mallory@example.com", algorithm="future-default")
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    scene = PGPListScenario(mailman, people)
    scene.subscribe("alice", "bob", "carol")
    return scene


def decoded(header: str) -> str:
    return str(make_header(decode_header(header)))


def body_text(entity) -> str:
    """The decoded text of a text/plain entity, line ends as in Python text."""
    text = entity.get_payload(decode=True).decode(entity.get_content_charset())
    return text.replace("\r\n", "\n")


def marker() -> str:
    """A word that appears only in the plaintext of one post."""
    return f"secret-{uuid4().hex}"


def assert_no_plaintext(messages, *secrets: str) -> None:
    for msg in messages:
        raw = msg.as_bytes()
        for secret in secrets:
            assert secret.encode() not in raw


def test_key_algorithms_of_the_members(people):
    alice = people["alice"].client.run("--with-colons", "--list-keys", "alice@example.com")
    bob = people["bob"].client.run("--with-colons", "--list-keys", "bob@example.com")
    # Field 4 of a sub line is the algorithm: 18 is ECDH (Cv25519), 1 is RSA; field 3 the size.
    assert any(line.startswith("sub:") and line.split(":")[3] == "18"
               for line in alice.output.decode().splitlines())
    assert any(line.startswith("sub:") and line.split(":")[3] == "1"
               and line.split(":")[2] == "4096" for line in bob.output.decode().splitlines())


def test_each_member_with_a_key_gets_one_copy_encrypted_to_them_and_signed_by_the_list(
        scenario, people):
    secret = marker()
    text = f"{TEXT}{secret}\n"
    raw = scenario.pgp_mime_post(people["alice"], text, subject="Ünïcode subject")
    posted = message_from_bytes(raw)
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    delivered = scenario.delivered()

    # carol, without a key, gets no copy: only the notice that a post was withheld.
    assert sorted(delivered) == ["alice@example.com", "bob@example.com", "carol@example.com"]
    [withheld] = delivered["carol@example.com"]
    assert decoded(withheld["Subject"]) == "A message to Crypto was withheld from you"
    assert_no_plaintext([withheld], secret, "Zweite Zeile", "Ünïcode")
    for name in ("alice", "bob"):
        person = people[name]
        [copy] = delivered[person.email]
        assert copy.get_content_type() == "multipart/encrypted"
        assert copy.get_param("protocol") == "application/pgp-encrypted"
        version, payload = copy.get_payload()
        assert version.get_content_type() == "application/pgp-encrypted"
        assert version.get_payload().strip() == "Version: 1"
        assert payload.get_content_type() == "application/octet-stream"
        for header in ("To", "Message-ID"):
            assert copy[header] == posted[header]
        # From the list, the Subject inside (test_pgp_copies.py says more).
        assert decoded(copy["From"]).endswith(f"<{scenario.mlist.posting_address}>")
        assert copy["Subject"] == "[...]"
        assert copy["List-Id"] == f"<{scenario.mlist.list_id}>"

        opened = person.client.decrypt(payload.get_payload().encode("ascii"))
        assert opened.has("DECRYPTION_OKAY")
        signed, signature = split_signed_raw(opened.output)
        checked = person.client.verify_detached(signature, signed)
        assert checked.has("GOODSIG")
        assert checked.has("VALIDSIG")
        validsig = next(line for line in checked.status if " VALIDSIG " in line)
        assert validsig.split()[-1] == scenario.list_fingerprint
        content = message_from_bytes(signed)
        prefix = scenario.mlist.subject_prefix.strip()
        assert decoded(content["Subject"]) == f"{prefix} Ünïcode subject"
        # Alice's text in the part her signature covers, the list's footer after it.
        texts = [body_text(part) for part in content.walk()
                 if part.get_content_type() == "text/plain"]
        assert texts[0] == text
        assert scenario.mlist.leave_address in texts[-1]
    assert_no_plaintext(sum(delivered.values(), []), secret, "Zweite Zeile")


def test_an_inline_pgp_post_is_delivered_as_pgp_mime(scenario, people):
    secret = marker()
    text = f"{TEXT}{secret}\n"
    assert scenario.send_by_lmtp(scenario.inline_post(people["bob"], text)) == {}
    scenario.run_queues()
    delivered = scenario.delivered()
    assert sorted(delivered) == ["alice@example.com", "bob@example.com", "carol@example.com"]
    [copy] = delivered["alice@example.com"]
    opened = people["alice"].client.decrypt(copy.get_payload()[1].get_payload().encode())
    signed, signature = split_signed_raw(opened.output)
    assert people["alice"].client.verify_detached(signature, signed).has("GOODSIG")
    content = message_from_bytes(signed)
    assert body_text(content).startswith(text)
    assert_no_plaintext(sum(delivered.values(), []), secret)


def test_a_plain_list_wraps_the_same_post_in_a_footer_but_a_pgp_list_does_not(
        scenario, people, mailman):
    from mailman.app.lifecycle import create_list
    from mailman.database.transaction import transaction
    from mailman.interfaces.action import Action
    from mailman.interfaces.usermanager import IUserManager
    from zope.component import getUtility

    with transaction():
        plain = create_list("plain@example.com")
        plain.default_nonmember_action = Action.accept
        plain.subscribe(getUtility(IUserManager).get_address("carol@example.com"),
                        send_welcome_message=False)
    raw = scenario.pgp_mime_post(people["alice"], "for both lists\n")
    from mailman.app.inject import inject_message
    from mailman.email.message import Message

    inject_message(plain, message_from_bytes(raw, Message), to_list=True)
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    delivered = scenario.delivered()

    # carol also gets the PGP list's notice that its post was withheld from her.
    [on_plain] = [msg for msg in delivered["carol@example.com"]
                  if msg["List-Id"] == "<plain.example.com>"]
    assert on_plain.get_content_type() == "multipart/mixed"
    assert [part.get_content_type() for part in on_plain.get_payload()] == [
        "multipart/encrypted", "text/plain"]
    for name in ("alice", "bob"):
        [copy] = delivered[people[name].email]
        assert copy.get_content_type() == "multipart/encrypted"
        assert [part.get_content_type() for part in copy.get_payload()] == [
            "application/pgp-encrypted", "application/octet-stream"]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("plain", "not encrypted"),
        ("unsigned", "was not signed"),
        ("signed-by-another-key", "not by your confirmed key"),
        ("encrypted-to-another-key", "could not decrypt your message"),
    ],
)
def test_a_refused_post_draws_a_notice_to_the_sender_and_reaches_nobody(
        scenario, people, kind, reason):
    alice, mallory = people["alice"], people["mallory"]
    secret = marker()
    text = f"{TEXT}{secret}\n"
    if kind == "plain":
        raw = scenario.plain_post(alice, text)
    elif kind == "unsigned":
        raw = scenario.pgp_mime_post(alice, text, sign=False)
    elif kind == "signed-by-another-key":
        mallory.client.import_key(scenario.list_key)
        raw = scenario.pgp_mime_post(alice, text, signer=mallory)
    else:
        alice.client.import_key(mallory.client.export(mallory.email))
        raw = scenario.pgp_mime_post(alice, text, encrypt_to=mallory.fingerprint)
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    delivered = scenario.delivered()

    assert list(delivered) == ["alice@example.com"]
    [notice] = delivered["alice@example.com"]
    # Alice has a confirmed key: the notice comes encrypted to it, signed by the list.
    assert notice.get_content_type() == "multipart/encrypted"
    opened = read_as(alice.client, notice)
    explanation = text_of(opened)
    assert "was refused" in explanation
    assert reason in explanation
    # Nothing of the post comes back: neither its text nor its ciphertext.
    assert b"BEGIN PGP MESSAGE" not in opened.as_bytes()
    assert_no_plaintext([notice, opened], secret, "Zweite Zeile")


def test_a_good_post_by_a_nonmember_is_held_encrypted_as_the_list_rules_say(scenario, people):
    from mailman.database.transaction import transaction
    from mailman.interfaces.messages import IMessageStore
    from mailman.interfaces.requests import IListRequests, RequestType
    from zope.component import getUtility

    from mailman_pgp.app.keys import set_address_key

    mallory = people["mallory"]
    with transaction():
        set_address_key(mallory.email, mallory.client.export(mallory.email), confirmed=True)
    secret = marker()
    raw = scenario.pgp_mime_post(mallory, f"{TEXT}{secret}\n")
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    delivered = scenario.delivered()

    assert not any(email in delivered for email in
                   ("alice@example.com", "bob@example.com", "carol@example.com"))
    [held] = IListRequests(scenario.mlist).of_type(RequestType.held_message)
    stored = getUtility(IMessageStore).get_message_by_id(held.key)
    assert stored.get_content_type() == "multipart/encrypted"
    assert_no_plaintext([stored, *sum(delivered.values(), [])], secret, "Zweite Zeile")


def test_a_thunderbird_post_with_an_encrypted_subject_keeps_it_inside(scenario, people):
    # Thunderbird's protected headers: the real Subject inside the encrypted entity,
    # "..." outside.
    secret = marker()
    inner = (
        'Content-Type: multipart/mixed; boundary="tb1"; protected-headers="v1"\r\n'
        f"Subject: The real subject {secret}\r\n"
        "From: alice@example.com\r\n\r\n"
        "--tb1\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Gr=C3=BC=C3=9Fe\r\n"
        "--tb1--\r\n"
    ).encode()
    raw = scenario.pgp_mime_post(people["alice"], "", subject="...", inner=inner)
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    [copy] = scenario.delivered()["bob@example.com"]
    assert copy["Subject"] == "[...]"
    opened = people["bob"].client.decrypt(copy.get_payload()[1].get_payload().encode())
    signed, signature = split_signed_raw(opened.output)
    assert people["bob"].client.verify_detached(signature, signed).has("GOODSIG")
    content = message_from_bytes(signed)
    prefix = scenario.mlist.subject_prefix.strip()
    assert content["Subject"] == f"{prefix} The real subject {secret}"
    assert content.get_param("protected-headers") == "v1"
    # The text (in the part Alice's signature covers), then the list's footer.
    text, *_, footer = [part for part in content.walk()
                        if part.get_content_type() == "text/plain"]
    # RFC 2046 5.1.1: the CRLF before a boundary belongs to the boundary.
    assert body_text(text) == "Grüße"
    assert scenario.mlist.leave_address in body_text(footer)
    assert_no_plaintext([copy], secret)
