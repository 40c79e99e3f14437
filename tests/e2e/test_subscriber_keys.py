# Test that a person joins a PGP list by email with their own key, from GnuPG as a mail client
# would: join, send the key the list asks for, answer the challenge encrypted to that key with a
# signed reply, and become a member whose welcome comes encrypted with the list's key inside.
# Tokens meant to be secret never cross the wire in plaintext; wrong answers change nothing.

from __future__ import annotations

import re
from email.message import Message
from pathlib import Path

import pytest
from mailman.interfaces.member import MemberRole
from mailman.interfaces.usermanager import IUserManager
from zope.component import getUtility

from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.client_mail import (
    headers_text,
    pgp_mime_message,
    pgp_mime_signed_entity,
    read_as,
    text_body,
    text_of,
)

ZOE = "zoe@example.com"


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    cast.add("zoe", ZOE)
    cast.add("mallory", "mallory@example.com")
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne")
    return scene


def request_mail(subject: str, body: str, sender: str = ZOE) -> bytes:
    """A plain mail to the list's -request address."""
    return (headers_text({"From": sender, "To": "crypto-request@example.com",
                          "Subject": subject, "Message-ID": f"<{abs(hash(body))}@zoe>"})
            + "Content-Type: text/plain; charset=us-ascii\n\n" + body).encode()


def key_mail(subject: str, key: str) -> bytes:
    """A reply with the public key attached as application/pgp-keys, as Thunderbird sends."""
    boundary = "------------keyreply"
    return (headers_text({"From": ZOE, "To": "crypto-request@example.com",
                          "Subject": subject, "Message-ID": "<keyreply@zoe>"})
            + f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"\n\n'
            + f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\nHere is my key.\n\n"
            + f'--{boundary}\nContent-Type: application/pgp-keys; name="zoe.asc"\n'
            + 'Content-Disposition: attachment; filename="zoe.asc"\n\n'
            + key + f"\n--{boundary}--\n").encode()


def signed_reply(person, subject: str, line: str) -> bytes:
    """A PGP/MIME signed reply whose text starts with ``line``, as Thunderbird signs."""
    content = text_body(f"{line}\n\n> quoted challenge\n")
    entity = pgp_mime_signed_entity(content, person.client.sign_detached(content, person.email))
    return (headers_text({"From": person.email, "To": "crypto-request@example.com",
                          "Subject": subject, "Message-ID": f"<{abs(hash(line))}@reply>",
                          "MIME-Version": "1.0"}).encode() + entity)


def clearsigned_reply(person, subject: str, line: str) -> bytes:
    """A plain-text reply whose body is cleartext-signed, as inline-PGP users send."""
    body = person.client.clearsign(f"{line}\n".encode(), person.email)
    return (headers_text({"From": person.email, "To": "crypto-request@example.com",
                          "Subject": subject, "Message-ID": f"<{abs(hash(line))}@inline>"})
            + "Content-Type: text/plain; charset=us-ascii\n\n").encode() + body


def encrypted_signed_reply(scenario, person, subject: str, line: str) -> bytes:
    """A reply signed and encrypted to the list key, as Thunderbird answers encrypted mail."""
    armor = person.client.encrypt(text_body(f"{line}\n"), scenario.list_fingerprint,
                                  person.email)
    return pgp_mime_message(armor, {"From": person.email, "To": "crypto-request@example.com",
                                    "Subject": subject, "Message-ID": "<encreply@zoe>"})


def only(delivered: dict[str, list[Message]], email: str) -> Message:
    """The reply of Mailman's command runner to ``email`` (there is exactly one)."""
    [msg] = [m for m in delivered[email]
             if str(m["Subject"]) == "The results of your email commands"]
    return msg


def send(scenario, raw: bytes) -> dict[str, list[Message]]:
    assert scenario.send_by_lmtp(raw, to=scenario.mlist.request_address) == {}
    scenario.run_queues()
    return scenario.delivered()


def ask_to_join(scenario) -> str:
    """Zoe sends join; the key request's token, read from its subject."""
    delivered = send(scenario, request_mail("join", ""))
    request = next(m for m in delivered[ZOE] if "key set" in str(m["Subject"]))
    assert request.get_content_type() == "text/plain"
    return re.search(r"key set ([0-9a-f]+)", str(request["Subject"])).group(1)


def send_key(scenario, people, token: str) -> tuple[str, list[Message]]:
    """Zoe replies with her key; the challenge token, read inside the encrypted challenge."""
    zoe = people["zoe"]
    delivered = send(scenario, key_mail(f"Re: key set {token}", zoe.client.export(ZOE)))
    challenge = next(m for m in delivered[ZOE] if m["Subject"] == "key confirm")
    assert challenge.get_content_type() == "multipart/encrypted"
    text = text_of(read_as(zoe.client, challenge))
    challenge_token = re.match(r"key confirm ([0-9a-f]+)\n", text).group(1)
    return challenge_token, sum(delivered.values(), [])


def member(scenario, email: str):
    return scenario.mlist.members.get_member(email)


@pytest.mark.parametrize("answer", ["pgp-mime-signed", "signed-and-encrypted",
                                    "inline-clearsigned"])
def test_a_person_joins_with_their_key_proved_by_a_signed_answer(scenario, people, answer):
    zoe = people["zoe"]
    token = ask_to_join(scenario)
    challenge_token, sent = send_key(scenario, people, token)
    stored = getUtility(IPGPAddressKeyManager).get(ZOE)
    assert (stored.fingerprint, stored.confirmed) == (zoe.fingerprint, False)
    # The challenge's token is never on the wire in plaintext.
    assert all(challenge_token.encode() not in m.as_bytes() for m in sent)
    assert member(scenario, ZOE) is None

    line = f"key confirm {challenge_token}"
    raw = {
        "pgp-mime-signed": lambda: signed_reply(zoe, "Re: key confirm", line),
        "signed-and-encrypted": lambda: encrypted_signed_reply(scenario, zoe, "Re: key confirm",
                                                               line),
        "inline-clearsigned": lambda: clearsigned_reply(zoe, "Re: key confirm", line),
    }[answer]()
    delivered = send(scenario, raw)

    assert getUtility(IPGPAddressKeyManager).get(ZOE).confirmed is True
    assert member(scenario, ZOE).role is MemberRole.member
    assert getUtility(IUserManager).get_address(ZOE).verified_on is not None
    welcome = next(m for m in delivered[ZOE] if "Welcome" in str(m["Subject"]))
    assert welcome.get_content_type() == "multipart/encrypted"
    opened = read_as(zoe.client, welcome)
    key_part = next(p for p in opened.walk() if p.get_content_type() == "application/pgp-keys")
    assert zoe.client.fingerprints(key_part.get_payload()) == [scenario.list_fingerprint]


def test_an_unsigned_answer_or_one_signed_by_another_key_changes_nothing(scenario, people):
    token = ask_to_join(scenario)
    challenge_token, _ = send_key(scenario, people, token)
    line = f"key confirm {challenge_token}"
    delivered = send(scenario, request_mail("Re: key confirm", f"{line}\n"))
    reply = text_of(read_as(people["zoe"].client, only(delivered, ZOE))) if only(
        delivered, ZOE).get_content_type() == "multipart/encrypted" else text_of(
        only(delivered, ZOE))
    assert "must be signed by the key" in reply
    assert "the token is still good" in reply
    mallory = people["mallory"]
    forged = signed_reply(mallory, "Re: key confirm", line).replace(
        b"From: mallory@example.com", f"From: {ZOE}".encode())
    send(scenario, forged)
    assert getUtility(IPGPAddressKeyManager).get(ZOE).confirmed is False
    assert member(scenario, ZOE) is None
    # The token still works for the signed answer.
    send(scenario, signed_reply(people["zoe"], "Re: key confirm", line))
    assert member(scenario, ZOE) is not None


def test_a_secret_key_is_refused_and_kept_nowhere(scenario, people):
    zoe = people["zoe"]
    token = ask_to_join(scenario)
    secret = zoe.client.export_secret(ZOE)
    delivered = send(scenario, request_mail(f"Re: key set {token}", f"My key:\n\n{secret}\n"))
    reply = text_of(only(delivered, ZOE))
    assert "Never share it" in reply
    assert "PRIVATE KEY" not in reply
    assert getUtility(IPGPAddressKeyManager).get(ZOE) is None
    # No file Mailman keeps (queues, logs, the message store, the database) holds it.
    from mailman.config import config

    secret_lines = [line for line in secret.splitlines()[3:-3] if len(line) > 40]
    for path in Path(config.VAR_DIR).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(line.encode() in data for line in secret_lines), path


def test_a_replayed_confirmation_changes_nothing_and_says_so(scenario, people):
    zoe = people["zoe"]
    token = ask_to_join(scenario)
    challenge_token, _ = send_key(scenario, people, token)
    answer = signed_reply(zoe, "Re: key confirm", f"key confirm {challenge_token}")
    send(scenario, answer)
    assert member(scenario, ZOE) is not None
    delivered = send(scenario, answer)
    reply = text_of(read_as(zoe.client, only(delivered, ZOE)))
    assert "is not valid" in reply and "Nothing was changed" in reply


def reply_text(person, delivered, email: str = ZOE) -> str:
    """The text of the one reply to ``email``, read as its recipient reads it."""
    return text_of(read_as(person.client, only(delivered, email)))


def test_a_key_holder_joins_by_a_signed_confirmation_of_an_encrypted_token(
        scenario, people):
    from mailman.database.transaction import transaction

    from mailman_pgp.app.keys import set_address_key

    zoe = people["zoe"]
    with transaction():
        set_address_key(ZOE, zoe.client.export(ZOE), confirmed=True)
    delivered = send(scenario, request_mail("join", ""))
    confirmation = next(m for m in delivered[ZOE] if m["Subject"] == "confirm")
    assert confirmation.get_content_type() == "multipart/encrypted"
    token = re.match(r"confirm ([0-9a-f]+)\n", text_of(read_as(zoe.client, confirmation))).group(1)
    assert all(token.encode() not in m.as_bytes() for m in sum(delivered.values(), []))
    # An unsigned confirmation changes nothing, and says why.
    delivered = send(scenario, request_mail("Re: confirm", f"confirm {token}\n"))
    assert "must be signed by your key" in reply_text(zoe, delivered)
    assert member(scenario, ZOE) is None
    send(scenario, signed_reply(zoe, "Re: confirm", f"confirm {token}"))
    assert member(scenario, ZOE) is not None


def test_a_member_leaves_by_a_signed_confirmation(scenario, people):
    anne = people["anne"]
    delivered = send(scenario, request_mail("leave", "", sender=anne.email))
    confirmation = next(m for m in delivered[anne.email] if m["Subject"] == "confirm")
    token = re.match(r"confirm ([0-9a-f]+)\n",
                     text_of(read_as(anne.client, confirmation))).group(1)
    forged = signed_reply(people["mallory"], "Re: confirm", f"confirm {token}").replace(
        b"From: mallory@example.com", f"From: {anne.email}".encode())
    send(scenario, forged)
    assert member(scenario, anne.email) is not None
    send(scenario, signed_reply(anne, "Re: confirm", f"confirm {token}"))
    assert member(scenario, anne.email) is None


def test_a_request_to_join_by_the_join_address_asks_for_the_key(scenario, people):
    assert scenario.send_by_lmtp(request_mail("", ""), to=scenario.mlist.join_address) == {}
    scenario.run_queues()
    [request] = scenario.delivered()[ZOE]
    assert re.fullmatch(r"key set [0-9a-f]+", str(request["Subject"]))


def test_a_repeated_join_only_sends_a_new_request_and_kills_the_old_token(scenario, people):
    first = ask_to_join(scenario)
    second = ask_to_join(scenario)
    assert first != second
    zoe = people["zoe"]
    delivered = send(scenario, key_mail(f"Re: key set {first}", zoe.client.export(ZOE)))
    assert "is not valid" in text_of(only(delivered, ZOE))
    challenge_token, _ = send_key(scenario, people, second)
    assert challenge_token


@pytest.mark.parametrize(("key", "words"), [
    ("two", "holds 2 key blocks"),
    ("expired", "expired on"),
    ("none", "No OpenPGP public key was found"),
    ("other-address", "has no user ID with the address zoe@example.com"),
], ids=["two-keys", "expired-key", "no-key", "key-of-another-address"])
def test_a_key_the_list_cannot_use_is_refused_saying_why(scenario, people, key, words):
    from mailman_pgp.testing.gnupg import GnuPGClient

    token = ask_to_join(scenario)
    zoe = people["zoe"]
    other = GnuPGClient()
    try:
        armor = {
            "two": lambda: zoe.client.export(ZOE) + people["anne"].client.export(
                "anne@example.com"),
            "expired": lambda: other.export(other.generate(
                f"Zoe <{ZOE}>", expire="1y", made_at="20200101T000000")),
            "none": lambda: "",
            "other-address": lambda: people["anne"].client.export("anne@example.com"),
        }[key]()
    finally:
        other.close()
    raw = (key_mail(f"Re: key set {token}", armor) if armor
           else request_mail(f"Re: key set {token}", "I forgot the key.\n"))
    delivered = send(scenario, raw)
    assert words in text_of(only(delivered, ZOE))
    assert getUtility(IPGPAddressKeyManager).get(ZOE) is None


def test_a_wrong_or_expired_token_changes_nothing(scenario, people):
    from mailman.utilities.datetime import factory

    zoe = people["zoe"]
    delivered = send(scenario, key_mail("Re: key set 0123abcd", zoe.client.export(ZOE)))
    assert "is not valid" in text_of(only(delivered, ZOE))
    token = ask_to_join(scenario)
    # Mailman's test clock: two days later, past the default lifetime of one day.
    factory.fast_forward(days=2)
    delivered = send(scenario, key_mail(f"Re: key set {token}", zoe.client.export(ZOE)))
    assert "has expired" in text_of(only(delivered, ZOE))
    assert getUtility(IPGPAddressKeyManager).get(ZOE) is None


def test_a_token_answered_with_the_command_of_another_step_changes_nothing(scenario, people):
    zoe = people["zoe"]
    token = ask_to_join(scenario)
    delivered = send(scenario, signed_reply(zoe, "Re: key confirm", f"key confirm {token}"))
    assert f"The token {token} does not wait for the proof of a key." in text_of(
        only(delivered, ZOE))
    challenge_token, _ = send_key(scenario, people, token)
    delivered = send(scenario, key_mail(f"Re: key set {challenge_token}",
                                        zoe.client.export(ZOE)))
    assert f"The token {challenge_token} does not wait for a key." in reply_text(
        zoe, delivered)
    assert getUtility(IPGPAddressKeyManager).get(ZOE).confirmed is False
    # The challenge still takes the answer it waits for.
    send(scenario, signed_reply(zoe, "Re: key confirm", f"key confirm {challenge_token}"))
    assert member(scenario, ZOE) is not None


def test_a_plain_list_keeps_mailmans_own_join_and_confirm(scenario, people):
    from mailman.app.lifecycle import create_list
    from mailman.database.transaction import transaction

    with transaction():
        plain = create_list("plain@example.com")
    assert scenario.send_by_lmtp(request_mail("join", ""), to=plain.request_address) == {}
    scenario.run_queues()
    confirmation = next(m for m in scenario.delivered()[ZOE]
                        if "confirmation" in str(m["Subject"]).lower())
    assert confirmation.get_content_type() == "text/plain"
    token = re.search(r"confirm\+([0-9a-f]+)@", str(confirmation["From"])).group(1)
    assert scenario.send_by_lmtp(request_mail(f"Re: confirm {token}", ""),
                                 to=plain.request_address) == {}
    scenario.run_queues()
    assert plain.members.get_member(ZOE) is not None


def test_a_subscription_waiting_for_a_moderator_is_decided_through_mailmans_own_rest(
        scenario, people, rest_url):
    from mailman.config import config
    from mailman.database.transaction import transaction
    from mailman.interfaces.mailinglist import SubscriptionPolicy
    from mailman.testing.helpers import call_api

    with transaction():
        scenario.mlist.subscription_policy = SubscriptionPolicy.confirm_then_moderate
    zoe = people["zoe"]
    token = ask_to_join(scenario)
    challenge_token, _ = send_key(scenario, people, token)
    delivered = send(scenario, signed_reply(zoe, "Re: key confirm",
                                            f"key confirm {challenge_token}"))
    assert "waits for a moderator" in text_of(read_as(zoe.client, only(delivered, ZOE)))
    assert member(scenario, ZOE) is None
    config.db.commit()

    requests, _ = call_api(rest_url(f"3.1/lists/{scenario.mlist.list_id}/requests"))
    [request] = requests["entries"]
    assert request["email"] == ZOE
    key, _ = call_api(rest_url(f"3.1/plugins/pgp/addresses/{ZOE}/key"))
    assert (key["fingerprint"], key["confirmed"]) == (zoe.fingerprint, True)
    _, response = call_api(
        rest_url(f"3.1/lists/{scenario.mlist.list_id}/requests/{request['token']}"),
        {"action": "accept"})
    assert response.status_code == 204
    config.db.abort()
    assert member(scenario, ZOE) is not None


def test_a_subscription_through_rest_without_pre_flags_asks_for_the_key(scenario, rest_url):
    from mailman.config import config
    from mailman.testing.helpers import call_api

    config.db.commit()
    content, response = call_api(rest_url("3.1/members"), {
        "list_id": scenario.mlist.list_id, "subscriber": ZOE})
    assert response.status_code == 202
    config.db.abort()
    scenario.run_queues()
    [request] = scenario.delivered()[ZOE]
    assert re.fullmatch(r"key set [0-9a-f]+", str(request["Subject"]))
    assert member(scenario, ZOE) is None


def test_anyone_receives_the_list_key_and_a_member_the_state_of_theirs(scenario, people):
    zoe, anne = people["zoe"], people["anne"]
    delivered = send(scenario, request_mail("key receive", ""))
    key_mail_ = next(m for m in delivered[ZOE] if "OpenPGP key of" in str(m["Subject"]))
    assert zoe.client.fingerprints(text_of(key_mail_)) == [scenario.list_fingerprint]
    delivered = send(scenario, request_mail("key status", "", sender=anne.email))
    assert (f"The key for anne@example.com is {anne.fingerprint} (confirmed"
            in reply_text(anne, delivered, anne.email))
    delivered = send(scenario, request_mail("key status", ""))
    assert "The list holds no key for zoe@example.com." in text_of(only(delivered, ZOE))


@pytest.mark.parametrize("step", ["waiting-for-the-key", "waiting-for-its-proof"])
def test_a_moderator_cannot_accept_what_waits_for_the_person(scenario, people, rest_url, step):
    from urllib.error import HTTPError

    from mailman.config import config
    from mailman.testing.helpers import call_api

    token = ask_to_join(scenario)
    if step == "waiting-for-its-proof":
        token, _ = send_key(scenario, people, token)
    config.db.commit()
    with pytest.raises(HTTPError) as refused:
        call_api(rest_url(f"3.1/lists/{scenario.mlist.list_id}/requests/{token}"),
                 {"action": "accept"})
    assert refused.value.code == 404
    config.db.abort()
    assert member(scenario, ZOE) is None
    stored = getUtility(IPGPAddressKeyManager).get(ZOE)
    assert stored is None or stored.confirmed is False
