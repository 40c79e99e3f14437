# Test that a member revokes their key or a subkey by email, from GnuPG as a mail client
# would: the revocation certificates they attach are verified and merged at once, without a
# confirmation; a key left without a usable encryption key gets no list mail and its posts
# are refused; forged revocations, and revocations by other keys, change nothing.

from __future__ import annotations

import email
from uuid import uuid4

import pysequoia
import pytest
from mailman.database.transaction import transaction
from mailman.testing.helpers import event_subscribers
from pysequoia.packet import PacketPile, SignatureType
from zope.component import getUtility

from mailman_pgp.app.keys import set_address_key
from mailman_pgp.interfaces.events import KeyRevokedEvent
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager

from .key_commands import (
    ANNE,
    RESULTS,
    ZOE,
    anne_zoe_and_mallory,
    client_of,
    command_mail,
    encrypted_to,
    list_of_anne_and_zoe,
    reply_text,
    send,
    with_keys,
)

people = pytest.fixture(anne_zoe_and_mallory)


@pytest.fixture
def scenario(mailman, people):
    return list_of_anne_and_zoe(mailman, people, anne_owns=False)


def held():
    return getUtility(IPGPAddressKeyManager).get(ZOE)


def learn_key(client, zoe) -> None:
    """The list learns zoe's key as she exports it now, as an administrator sets it."""
    with transaction():
        set_address_key(ZOE, client.export(zoe.fingerprint), confirmed=True)


def revoke(scenario, zoe, *blocks: str, signer: str | None = None):
    return send(scenario, command_mail(zoe, "key revoke", with_keys("Revoked.", *blocks),
                                       signer=signer))


def post(scenario, author) -> set[str]:
    """Who received a copy of a post by ``author``."""
    scenario.smtpd.clear()
    # A text of its own each time: the same signed text within one second is a replay.
    raw = scenario.pgp_mime_post(author, f"Hello list ({uuid4().hex})")
    message_id = email.message_from_bytes(raw)["Message-ID"]
    scenario.send_by_lmtp(raw)
    scenario.run_queues()
    return {recipient for recipient, messages in scenario.delivered().items()
            if any(msg["Message-ID"] == message_id for msg in messages)}


def test_revoking_the_only_encryption_subkey_stops_mail_and_posts(scenario, people):
    anne, zoe = people["anne"], people["zoe"]
    client = client_of(zoe)
    [(subkey, usage)] = client.subkeys(zoe.fingerprint)
    assert "e" in usage
    assert post(scenario, anne) == {ANNE, ZOE}
    assert post(scenario, zoe) == {ANNE, ZOE}
    # In GnuPG: gpg --edit-key ZOE, key 1, revkey, save; then export the key.
    client.revoke_subkey(zoe.fingerprint)
    events = []
    with event_subscribers(events.append):
        delivered = revoke(scenario, zoe, client.export(zoe.fingerprint))
    reply = reply_text(zoe, delivered)
    assert f"The subkey {subkey} of your key {zoe.fingerprint} is now revoked" in reply
    assert "No usable encryption key remains" in reply
    key = held()
    assert key.confirmed is False
    assert [part.revoked for part in key.certificate().keys] == [False, True]
    revoked = [event for event in events if isinstance(event, KeyRevokedEvent)]
    assert [(e.mlist.list_id, e.email, e.fingerprint) for e in revoked] == [
        ("crypto.example.com", ZOE, zoe.fingerprint)]
    # No list mail for zoe; a post she signs with the key is refused.
    assert post(scenario, anne) == {ANNE}
    assert post(scenario, zoe) == set()


def test_a_revocation_certificate_revokes_the_whole_key(scenario, people):
    anne, zoe = people["anne"], people["zoe"]
    revocation = client_of(zoe).gen_revoke(zoe.fingerprint)
    assert "This is a revocation certificate" in revocation
    reply = reply_text(zoe, revoke(scenario, zoe, revocation))
    assert f"Your key {zoe.fingerprint} is now revoked" in reply
    assert held().certificate().revoked
    assert held().confirmed is False
    assert post(scenario, anne) == {ANNE}
    assert post(scenario, zoe) == set()


def test_revoking_a_signing_subkey_keeps_the_key_in_force(scenario, people):
    anne, zoe = people["anne"], people["zoe"]
    client = client_of(zoe)
    signing = client.add_subkey(zoe.fingerprint, "ed25519", "sign")
    learn_key(client, zoe)
    number = [subkey for subkey, _ in client.subkeys(zoe.fingerprint)].index(signing) + 1
    client.revoke_subkey(zoe.fingerprint, number)
    reply = reply_text(zoe, revoke(scenario, zoe, client.export(zoe.fingerprint)))
    assert f"The subkey {signing} of your key" in reply
    assert "No usable encryption key remains" not in reply
    assert held().confirmed is True
    assert held().certificate().key_part(signing).revoked
    assert ZOE in post(scenario, anne)


def test_a_forged_revocation_is_refused(scenario, people):
    zoe = people["zoe"]
    client = client_of(zoe)
    client.revoke_subkey(zoe.fingerprint)
    exported = bytes(pysequoia.Cert.from_bytes(client.export(zoe.fingerprint).encode()))
    [revocation] = [packet for packet in PacketPile.from_bytes(exported)
                    if packet.signature_type == SignatureType.SubkeyRevocation]
    # The revocation's signature value, damaged: it names zoe's key but does not verify.
    at = exported.index(revocation.body) + len(revocation.body) - 3
    forged = exported[:at] + bytes([exported[at] ^ 0x55]) + exported[at + 1:]
    before = held().public_key
    reply = reply_text(zoe, revoke(scenario, zoe,
                                   pysequoia.armor(forged, pysequoia.ArmorKind.PublicKey)))
    assert "The revocation was not accepted" in reply
    assert "does not verify" in reply
    assert held().public_key == before
    assert held().confirmed is True


def test_a_revocation_made_by_another_key_is_refused(scenario, people):
    zoe, mallory = people["zoe"], people["mallory"]
    before = held().public_key
    reply = reply_text(zoe, revoke(scenario, zoe,
                                   client_of(mallory).gen_revoke(mallory.fingerprint)))
    assert f"made by the key {mallory.fingerprint}" in reply
    assert "Nothing was changed" in reply
    assert held().public_key == before
    assert held().confirmed is True


def test_a_revocation_needs_no_confirmation_but_says_when_it_is_known(scenario, people):
    zoe = people["zoe"]
    revocation = client_of(zoe).gen_revoke(zoe.fingerprint)
    delivered = revoke(scenario, zoe, revocation)
    assert [msg["Subject"] for msg in delivered[ZOE]] == [RESULTS]
    again = reply_text(zoe, revoke(scenario, zoe, revocation))
    assert "knew these revocations" in again


def test_with_another_encryption_subkey_left_the_key_stays_confirmed(scenario, people):
    anne, zoe = people["anne"], people["zoe"]
    client = client_of(zoe)
    [(first, _)] = client.subkeys(zoe.fingerprint)
    second = client.add_subkey(zoe.fingerprint, "cv25519", "encr")
    learn_key(client, zoe)
    client.revoke_subkey(zoe.fingerprint, 1)
    [reply] = revoke(scenario, zoe, client.export(zoe.fingerprint))[ZOE]
    assert held().confirmed is True
    assert held().certificate().key_part(first).revoked
    # The reply, and the list's mail, go to the subkey left.
    assert encrypted_to(zoe, reply) == {second[-16:]}
    assert ZOE in post(scenario, anne)


def test_more_blocks_than_keys_to_revoke_are_refused_before_any_is_checked(
        scenario, people, monkeypatch):
    import mailman_pgp.openpgp.keys as keys_module
    from mailman_pgp.testing.calls import record_calls

    zoe = people["zoe"]
    client = client_of(zoe)
    client.revoke_subkey(zoe.fingerprint)
    exported = bytes(pysequoia.Cert.from_bytes(client.export(zoe.fingerprint).encode()))
    [revocation] = [packet for packet in PacketPile.from_bytes(exported)
                    if packet.signature_type == SignatureType.SubkeyRevocation]
    # The bare revocation signature: its two-octet packet header, then its body.
    at = exported.index(revocation.body)
    assert len(revocation.body) < 192 and exported[at - 2] & 0x80
    bare = pysequoia.armor(exported[at - 2:at + len(revocation.body)],
                           pysequoia.ArmorKind.PublicKey)
    # Each bare subkey revocation is checked by a run of gpg: fifty would be fifty runs.
    gpg_checks = record_calls(monkeypatch, keys_module, "checked_signatures")
    before = held().public_key
    keys = len(held().certificate().keys)
    reply = reply_text(zoe, revoke(scenario, zoe, *[bare] * 50))
    assert f"holds 50 key blocks, but your key has only {keys} keys to revoke" in reply
    assert "Nothing was changed" in reply
    assert gpg_checks == []
    assert held().public_key == before
    # One of them is taken, checked by gpg.
    reply = reply_text(zoe, revoke(scenario, zoe, bare))
    assert len(gpg_checks) == 1
    assert held().public_key != before
