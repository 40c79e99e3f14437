# Test that the list's owner certifies the list's key by email, from GnuPG as a mail client
# would (gpg --quick-sign-key, then key sign with the key attached, then a signed confirm),
# that the certification then travels with the list's key, and that members the setting
# does not name, certifications by another key, and unsigned confirmations change nothing.

from __future__ import annotations

import pytest
from mailman.database.transaction import transaction
from mailman.testing.helpers import event_subscribers
from zope.component import getUtility

from mailman_pgp.interfaces.events import ListKeyCertifiedEvent
from mailman_pgp.interfaces.lists import IPGPListManager, KeySigners
from mailman_pgp.testing.client_mail import read_as, text_body, text_of
from mailman_pgp.testing.gnupg import GnuPGClient

from .key_commands import (
    ANNE,
    ZOE,
    anne_zoe_and_mallory,
    client_of,
    command_mail,
    encrypted_to,
    encryption_key_ids,
    list_of_anne_and_zoe,
    plain_command,
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


def list_key() -> str:
    return getUtility(IPGPListManager).get("crypto.example.com").public_key


def certify(scenario, person, by: GnuPGClient | None = None) -> str:
    """The list's key as ``person``'s gpg (or ``by``) exports it after certifying it."""
    client = by or client_of(person)
    client.certify(scenario.list_fingerprint)
    return client.export(scenario.list_fingerprint)


def ask_to_sign(scenario, person, certified: str):
    return send(scenario, command_mail(person, "key sign",
                                       with_keys("The list's key, certified.", certified)))


def test_an_owner_certifies_the_list_key_confirmed_by_a_signed_answer(scenario, people):
    anne = people["anne"]
    before = list_key()
    delivered = ask_to_sign(scenario, anne, certify(scenario, anne))
    assert "It has sent you a confirmation encrypted to your key" in reply_text(anne, delivered)
    confirmation = received(delivered, anne, "confirm")
    assert encrypted_to(anne, confirmation) == encryption_key_ids(anne, anne.fingerprint)
    token = token_of(anne, confirmation, "confirm")
    assert list_key() == before

    events = []
    with event_subscribers(events.append):
        delivered = send(scenario, command_mail(anne, "Re: confirm",
                                                text_body(f"confirm {token}\n"),
                                                signer=anne.fingerprint))
    assert "now carries your certification" in reply_text(anne, delivered)
    certified = [e for e in events if isinstance(e, ListKeyCertifiedEvent)]
    assert [(e.mlist.list_id, e.email, e.fingerprint) for e in certified] == [
        ("crypto.example.com", ANNE, anne.fingerprint)]
    # Anyone who asks for the list's key gets it with anne's certification, which GnuPG
    # verifies.
    zoe = people["zoe"]
    delivered = send(scenario, plain_command(zoe, "key receive"))
    reply = read_as(client_of(zoe), received(delivered, zoe, "The OpenPGP key of Crypto"))
    outsider = GnuPGClient()
    try:
        outsider.import_key(client_of(anne).export(anne.fingerprint))
        outsider.import_key(text_of(reply))
        listing = outsider.run("--with-colons", "--check-signatures",
                               scenario.list_fingerprint).output.decode()
    finally:
        outsider.close()
    # Anne's gpg certified each user ID of the list key (its posting and -request
    # addresses); an outsider's gpg finds each certification good ("!").
    by_anne: dict[str, list[str]] = {}
    user_id = ""
    for line in listing.splitlines():
        fields = line.split(":")
        if fields[0] == "uid":
            user_id = fields[9]
        elif fields[0] == "sig" and fields[4] == anne.fingerprint[-16:]:
            by_anne.setdefault(user_id, []).append(fields[1])
    assert by_anne == {"Crypto <crypto@example.com>": ["!"],
                       "Crypto <crypto-request@example.com>": ["!"]}
    # The list still signs and delivers as before.
    scenario.smtpd.clear()
    scenario.send_by_lmtp(scenario.pgp_mime_post(zoe, "Hello list"))
    scenario.run_queues()
    assert set(scenario.delivered()) == {ANNE, ZOE}


def test_a_member_may_not_certify_when_only_owners_and_moderators_may(scenario, people):
    zoe = people["zoe"]
    before = list_key()
    delivered = ask_to_sign(scenario, zoe, certify(scenario, zoe))
    assert "only the list's owners and moderators may certify" in reply_text(zoe, delivered)
    assert [msg["Subject"] for msg in delivered[ZOE]] == ["The results of your email commands"]
    assert list_key() == before


def test_a_member_certifies_when_the_list_lets_members(scenario, people):
    zoe = people["zoe"]
    with transaction():
        getUtility(IPGPListManager).get("crypto.example.com").key_signers = KeySigners.members
    delivered = ask_to_sign(scenario, zoe, certify(scenario, zoe))
    token = token_of(zoe, received(delivered, zoe, "confirm"), "confirm")
    send(scenario, command_mail(zoe, "Re: confirm", text_body(f"confirm {token}\n"),
                                signer=zoe.fingerprint))
    assert zoe.fingerprint[-16:] in _issuers(list_key())


def test_nobody_certifies_when_the_list_says_so(scenario, people):
    anne = people["anne"]
    with transaction():
        getUtility(IPGPListManager).get("crypto.example.com").key_signers = KeySigners.nobody
    delivered = ask_to_sign(scenario, anne, certify(scenario, anne))
    assert "nobody certifies the list's key by email" in reply_text(anne, delivered)


def test_a_certification_by_another_key_is_refused(scenario, people):
    anne, mallory = people["anne"], people["mallory"]
    before = list_key()
    delivered = ask_to_sign(scenario, anne, certify(scenario, mallory))
    reply = reply_text(anne, delivered)
    assert f"carries no certification of the key {scenario.list_fingerprint}" in reply
    assert f"by the key {anne.fingerprint}" in reply
    assert list_key() == before


def test_an_unsigned_confirm_changes_nothing_and_the_token_stays_good(scenario, people):
    anne = people["anne"]
    before = list_key()
    delivered = ask_to_sign(scenario, anne, certify(scenario, anne))
    token = token_of(anne, received(delivered, anne, "confirm"), "confirm")
    delivered = send(scenario, plain_command(anne, "Re: confirm", f"confirm {token}\n"))
    reply = reply_text(anne, delivered)
    assert f"must be signed by your key {anne.fingerprint}" in reply
    assert "the token is still good" in reply
    assert list_key() == before
    # Signed by another key: nothing either.
    mallory = people["mallory"]
    forged = command_mail(mallory, "Re: confirm", text_body(f"confirm {token}\n"),
                          signer=mallory.fingerprint, sender=ANNE)
    send(scenario, forged)
    assert list_key() == before
    send(scenario, command_mail(anne, "Re: confirm", text_body(f"confirm {token}\n"),
                                signer=anne.fingerprint))
    assert anne.fingerprint[-16:] in _issuers(list_key())


def _issuers(armor: str) -> set[str]:
    """The key IDs that made certifications in ``armor``, as GnuPG lists them."""
    reader = GnuPGClient()
    try:
        listing = reader.run("--with-colons", "--with-sig-list", "--import-options",
                             "show-only", "--import", input=armor).output.decode()
    finally:
        reader.close()
    return {line.split(":")[4] for line in listing.splitlines() if line.startswith("sig:")}
