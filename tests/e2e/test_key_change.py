# Test that a member changes their key by email, from GnuPG as a mail client would: the list
# challenges the new key, the signed answer puts it in force (at once when the request was
# signed by the current key, else once a moderator approves it through REST), the old key
# stays in force until then, and replays, answers by the old key, two keys and secret keys
# change nothing.

from __future__ import annotations

import pytest
from mailman.config import config
from mailman.interfaces.pending import IPendings
from mailman.model.workflow import WorkflowState
from mailman.testing.helpers import call_api, event_subscribers
from zope.component import getUtility

from mailman_pgp.interfaces.events import KeyChangedEvent
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.testing.client_mail import text_body
from mailman_pgp.workflows.key_change import KEY_CHANGE

from .key_commands import (
    ANNE,
    RESULTS,
    ZOE,
    anne_zoe_and_mallory,
    client_of,
    command_mail,
    encrypted_to,
    encryption_key_ids,
    list_of_anne_and_zoe,
    received,
    reply_text,
    send,
    token_of,
    with_keys,
)

people = pytest.fixture(anne_zoe_and_mallory)


@pytest.fixture
def scenario(mailman, people):
    return list_of_anne_and_zoe(mailman, people, anne_owns=True)


def new_key(zoe) -> str:
    """Zoe makes a new key in her keyring, beside the one the list holds."""
    return client_of(zoe).generate("Zoe (new key) <zoe@example.com>")


def stored() -> tuple[str, bool]:
    key = getUtility(IPGPAddressKeyManager).get(ZOE)
    return key.fingerprint, key.confirmed


def ask_for_change(scenario, zoe, new: str, *, signer: str | None):
    """Zoe sends ``key change`` with her new key attached; the challenge's token."""
    request = command_mail(zoe, "key change",
                           with_keys("My new key.", client_of(zoe).export(new)), signer=signer)
    delivered = send(scenario, request)
    challenge = received(delivered, zoe, "key confirm")
    # The challenge is the change's confirmation: it goes to the new key alone.
    assert encrypted_to(zoe, challenge) == encryption_key_ids(zoe, new)
    return token_of(zoe, challenge, "key confirm"), delivered, request


def answer(scenario, zoe, token: str, signer: str):
    return send(scenario, command_mail(zoe, "Re: key confirm",
                                       text_body(f"key confirm {token}\n"), signer=signer))


def post_reaches_zoe_encrypted_to(scenario, people, fingerprint: str) -> None:
    anne, zoe = people["anne"], people["zoe"]
    scenario.smtpd.clear()
    # A text of its own: the same signed text again within a second is a replay.
    scenario.send_by_lmtp(scenario.pgp_mime_post(anne, f"Hello list, {fingerprint}"))
    scenario.run_queues()
    [copy] = scenario.delivered()[ZOE]
    assert encrypted_to(zoe, copy) == encryption_key_ids(zoe, fingerprint)


def test_a_change_signed_by_the_current_key_is_in_force_once_the_new_key_is_proved(
        scenario, people):
    zoe = people["zoe"]
    old, new = zoe.fingerprint, new_key(zoe)
    token, delivered, _ = ask_for_change(scenario, zoe, new, signer=old)
    reply = reply_text(zoe, delivered)
    assert f"The list received the key {new}" in reply
    assert f"your key {old} stays in force" in reply
    assert "moderator" not in reply
    # The reply goes to the key in force, from the -request address.
    assert encrypted_to(zoe, received(delivered, zoe, RESULTS)) == encryption_key_ids(zoe, old)
    # No second confirmation goes to the old key; the old key stays in force meanwhile.
    assert sorted(msg["Subject"] for msg in delivered[ZOE]) == [RESULTS, "key confirm"]
    assert received(delivered, zoe, "key confirm")["From"] == "crypto-request@example.com"
    assert stored() == (old, True)
    post_reaches_zoe_encrypted_to(scenario, people, old)

    events = []
    with event_subscribers(events.append):
        delivered = answer(scenario, zoe, token, new)
    assert f"Your key {new} is now in force" in reply_text(zoe, delivered)
    assert stored() == (new, True)
    changed = [event for event in events if isinstance(event, KeyChangedEvent)]
    assert [(e.mlist.list_id, e.email, e.fingerprint) for e in changed] == [
        ("crypto.example.com", ZOE, new)]
    assert encrypted_to(zoe, received(delivered, zoe, RESULTS)) == encryption_key_ids(zoe, new)
    post_reaches_zoe_encrypted_to(scenario, people, new)


def test_a_change_not_signed_by_the_current_key_waits_for_a_moderator(
        scenario, people, rest_url):
    anne, zoe = people["anne"], people["zoe"]
    old, new = zoe.fingerprint, new_key(zoe)
    token, delivered, _ = ask_for_change(scenario, zoe, new, signer=None)
    assert "a moderator must also approve" in reply_text(zoe, delivered)
    delivered = answer(scenario, zoe, token, new)
    assert "A moderator must approve the change" in reply_text(zoe, delivered)
    assert f"your key {old} stays in force" in reply_text(zoe, delivered)
    # The owner is told, encrypted to her key; no token travels to her.
    [notice] = [msg for msg in delivered[ANNE] if "waits for approval" in str(msg["Subject"])]
    assert encrypted_to(anne, notice) == encryption_key_ids(anne, anne.fingerprint)
    assert stored() == (old, True)
    post_reaches_zoe_encrypted_to(scenario, people, old)

    # The moderator sees the change through REST, and approves it.
    config.db.commit()
    waiting, _ = call_api(rest_url("3.1/plugins/pgp/lists/crypto.example.com/key-changes"))
    [entry] = waiting["entries"]
    assert (entry["email"], entry["fingerprint"], entry["current_fingerprint"]) == (
        ZOE, new, old)
    content, response = call_api(entry["self_link"], data={"action": "accept"})
    assert response.status_code == 204
    config.db.abort()
    assert stored() == (new, True)
    scenario.run_queues()
    [approved] = [msg for msg in scenario.delivered()[ZOE]
                  if msg["Subject"] == "Your OpenPGP key on Crypto"]
    assert encrypted_to(zoe, approved) == encryption_key_ids(zoe, new)
    post_reaches_zoe_encrypted_to(scenario, people, new)


def test_a_replayed_change_only_challenges_the_key_it_carries(scenario, people):
    zoe = people["zoe"]
    old, new = zoe.fingerprint, new_key(zoe)
    token, _, request = ask_for_change(scenario, zoe, new, signer=old)
    answer(scenario, zoe, token, new)
    assert stored() == (new, True)
    # Someone who captured the request sends it again: a new challenge to the key it
    # carries, nothing else.
    delivered = send(scenario, request)
    assert encrypted_to(zoe, received(delivered, zoe, "key confirm")) == (
        encryption_key_ids(zoe, new))
    assert stored() == (new, True)
    # Even answered by the holder of that key, it was not signed by the key now in force,
    # so it waits for a moderator.
    second = token_of(zoe, received(delivered, zoe, "key confirm"), "key confirm")
    assert second != token
    answer(scenario, zoe, second, new)
    waiting = list(getUtility(IPendings).find(pend_type=KEY_CHANGE))
    assert [record["token_owner"] for _, record in waiting] == ["moderator"]
    assert stored() == (new, True)


def test_a_change_confirmed_by_the_old_key_is_refused(scenario, people):
    zoe = people["zoe"]
    old, new = zoe.fingerprint, new_key(zoe)
    token, _, _ = ask_for_change(scenario, zoe, new, signer=old)
    reply = reply_text(zoe, answer(scenario, zoe, token, old))
    assert f"must be signed by the new key {new}" in reply
    assert "the token is still good" in reply
    assert stored() == (old, True)
    # The token still works, signed by the new key.
    answer(scenario, zoe, token, new)
    assert stored() == (new, True)


def test_two_keys_attached_are_refused(scenario, people):
    zoe = people["zoe"]
    client = client_of(zoe)
    first, second = new_key(zoe), client.generate("Zoe (other) <zoe@example.com>")
    delivered = send(scenario, command_mail(
        zoe, "key change", with_keys("Two keys.", client.export(first), client.export(second)),
        signer=zoe.fingerprint))
    assert "holds 2 key blocks" in reply_text(zoe, delivered)
    assert "Nothing was changed" in reply_text(zoe, delivered)
    assert [msg["Subject"] for msg in delivered[ZOE]] == [RESULTS]
    assert list(getUtility(IPendings).find(pend_type=KEY_CHANGE)) == []
    assert stored() == (zoe.fingerprint, True)


def test_a_secret_key_attached_is_refused_and_kept_nowhere(scenario, people):
    zoe = people["zoe"]
    new = new_key(zoe)
    secret = client_of(zoe).export_secret(new)
    delivered = send(scenario, command_mail(
        zoe, "key change", with_keys("My new key.", secret), signer=zoe.fingerprint))
    reply = reply_text(zoe, delivered)
    assert "Never share it" in reply
    assert "PRIVATE KEY" not in reply
    assert [msg["Subject"] for msg in delivered[ZOE]] == [RESULTS]
    assert list(getUtility(IPendings).find(pend_type=KEY_CHANGE)) == []
    assert stored() == (zoe.fingerprint, True)
    assert all("PRIVATE KEY" not in (state.data or "")
               for state in config.db.store.query(WorkflowState))
    assert getUtility(IPGPAddressKeyManager).get(ZOE).public_key.count("PRIVATE") == 0


def test_only_members_change_their_key_here(scenario, people):
    mallory = people["mallory"]
    delivered = send(scenario, command_mail(
        mallory, "key change", with_keys("My key.", client_of(mallory).export()),
        signer=mallory.fingerprint))
    assert "Only members of Crypto can change their key" in reply_text(mallory, delivered)
    assert list(getUtility(IPendings).find(pend_type=KEY_CHANGE)) == []


def test_a_change_clearsigned_with_gpg_alone_the_key_pasted(scenario, people):
    # The way of a person with GnuPG and any mail program: the new key pasted into a text
    # that gpg --clearsign signs with the current key, sent as the body.
    zoe = people["zoe"]
    client = client_of(zoe)
    old, new = zoe.fingerprint, new_key(zoe)
    text = f"My new key:\n\n{client.export(new)}\n".encode()
    body = client.clearsign(text, old).decode()
    raw = (f"From: {ZOE}\r\nTo: crypto-request@example.com\r\nSubject: key change\r\n"
           "Message-ID: <clearsigned@zoe>\r\n"
           "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + body).encode()
    delivered = send(scenario, raw)
    assert "a moderator" not in reply_text(zoe, delivered)
    token = token_of(zoe, received(delivered, zoe, "key confirm"), "key confirm")
    clearsigned = client.clearsign(f"key confirm {token}\n".encode(), new).decode()
    send(scenario, (f"From: {ZOE}\r\nTo: crypto-request@example.com\r\nSubject: Re: key confirm"
                    "\r\nMessage-ID: <answer@zoe>\r\n"
                    "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + clearsigned).encode())
    assert stored() == (new, True)
