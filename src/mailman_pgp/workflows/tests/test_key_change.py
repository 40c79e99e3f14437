# Test that the key change workflow keeps the old key in force until the new one is proved and,
# when the request was not signed by the key in force then, approved by a moderator; that
# moderators see, approve and reject only changes waiting for them; and that what it mails
# goes encrypted to the right key.

from __future__ import annotations

import pytest
from mailman.app.lifecycle import create_list
from mailman.database.transaction import transaction
from mailman.interfaces.member import MemberRole
from mailman.interfaces.pending import IPendings
from mailman.interfaces.subscriptions import ISubscriptionManager
from mailman.interfaces.usermanager import IUserManager
from mailman.testing.helpers import event_subscribers, get_queue_messages
from zope.component import getUtility

from mailman_pgp.app.keys import set_address_key
from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.interfaces.events import KeyChangedEvent
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.mta.deliver import ENCRYPT_TO
from mailman_pgp.openpgp import (
    KeyCannotEncrypt,
    KeyExpired,
    generate_key,
    load_certificate,
    parse_certificate,
)
from mailman_pgp.openpgp.tests.key_files import key_data
from mailman_pgp.testing.gnupg import GnuPGClient
from mailman_pgp.workflows.key_change import (
    AWAITING_APPROVAL,
    AWAITING_NEW_KEY_PROOF,
    KEY_CHANGE,
    KeyChangeNotWaiting,
    PGPKeyChangeWorkflow,
    approve_key_change,
    challenged_key,
    is_key_change,
    reject_key_change,
    waiting_key_change,
    waiting_key_changes,
)
from mailman_pgp.workflows.tokens import awaited_step

ZOE = "zoe@example.com"
OWNER = "owner@example.com"


@pytest.fixture
def mlist(mailman):
    users = getUtility(IUserManager)
    with transaction():
        mlist = create_list("crypto@example.com")
        mlist.display_name = "Crypto"
        make_pgp_list(mlist)
        mlist.subscribe(users.create_address(ZOE))
        mlist.subscribe(users.create_address(OWNER), MemberRole.owner)
    return mlist


@pytest.fixture
def old(mlist):
    key = generate_key(f"Zoe <{ZOE}>")
    with transaction():
        set_address_key(ZOE, key.certificate.armor, confirmed=True)
    get_queue_messages("virgin")
    return key.certificate


@pytest.fixture
def new():
    return generate_key(f"Zoe (new) <{ZOE}>").certificate


def start(mlist, new, signed_by=None):
    workflow = PGPKeyChangeWorkflow(mlist, ZOE, new, signed_by=signed_by)
    list(workflow)
    return workflow.token


def held() -> tuple[str, bool]:
    key = getUtility(IPGPAddressKeyManager).get(ZOE)
    return key.fingerprint, key.confirmed


def test_the_challenge_goes_to_the_new_key_and_the_old_stays_in_force(mlist, old, new):
    token = start(mlist, new, signed_by=old.fingerprint)
    assert is_key_change(token)
    assert awaited_step(token) == AWAITING_NEW_KEY_PROOF
    assert challenged_key(token).fingerprint == new.fingerprint
    [challenge] = get_queue_messages("virgin")
    assert challenge.msg["Subject"] == "key confirm"
    assert challenge.msgdata["recipients"] == {ZOE}
    assert set(challenge.msgdata[ENCRYPT_TO]) == {ZOE}
    assert load_certificate(challenge.msgdata[ENCRYPT_TO][ZOE]).fingerprint == new.fingerprint
    assert held() == (old.fingerprint, True)


def test_proved_and_signed_by_the_key_in_force_it_is_in_force(mlist, old, new):
    token = start(mlist, new, signed_by=old.fingerprint)
    events = []
    with event_subscribers(events.append):
        assert ISubscriptionManager(mlist).resume(token)[0] is None
    assert held() == (new.fingerprint, True)
    assert [(e.email, e.fingerprint) for e in events if isinstance(e, KeyChangedEvent)] == [
        (ZOE, new.fingerprint)]
    assert list(getUtility(IPendings).find(pend_type=KEY_CHANGE)) == []
    # The person is answered by the key command; no notice of the workflow's own.
    assert [item.msg["Subject"] for item in get_queue_messages("virgin")] == ["key confirm"]


@pytest.mark.parametrize("signed_by", [None, "replaced"], ids=["unsigned", "signed-by-old"])
def test_otherwise_it_waits_for_a_moderator(mlist, old, new, signed_by):
    if signed_by == "replaced":
        # Signed by a key that was in force then, and has been replaced since.
        signed_by = old.fingerprint
        token = start(mlist, new, signed_by=signed_by)
        third = generate_key(f"Zoe (third) <{ZOE}>").certificate
        with transaction():
            getUtility(IPGPAddressKeyManager).get(ZOE).replace(third, confirmed=True)
        in_force = third.fingerprint
    else:
        token = start(mlist, new)
        in_force = old.fingerprint
    get_queue_messages("virgin")
    moderators_token, owner, _ = ISubscriptionManager(mlist).resume(token)
    assert owner.name == "moderator" and moderators_token != token
    assert awaited_step(moderators_token) == AWAITING_APPROVAL
    assert held() == (in_force, True)
    [request] = waiting_key_changes(mlist)
    assert (request.token, request.email, request.fingerprint, request.current) == (
        moderators_token, ZOE, new.fingerprint, in_force)
    assert load_certificate(request.public_key).fingerprint == new.fingerprint
    assert waiting_key_change(mlist, moderators_token) == request
    [notice] = get_queue_messages("virgin")
    assert notice.msgdata["recipients"] == {OWNER}
    assert notice.msg["To"] == "crypto-owner@example.com"
    assert moderators_token not in notice.msg.as_string()
    assert new.fingerprint in notice.msg.get_payload()


def test_a_moderator_cannot_skip_the_proof_of_the_new_key(mlist, old, new):
    token = start(mlist, new)
    assert waiting_key_changes(mlist) == []
    with pytest.raises(KeyChangeNotWaiting):
        approve_key_change(mlist, token)
    with pytest.raises(KeyChangeNotWaiting):
        reject_key_change(mlist, token, "no")
    assert awaited_step(token) == AWAITING_NEW_KEY_PROOF
    assert held() == (old.fingerprint, True)


def waiting(mlist, new) -> str:
    token, _, _ = ISubscriptionManager(mlist).resume(start(mlist, new))
    get_queue_messages("virgin")
    return token


def test_approval_puts_the_new_key_in_force_and_tells_the_member(mlist, old, new):
    token = waiting(mlist, new)
    events = []
    with event_subscribers(events.append):
        approve_key_change(mlist, token)
    assert held() == (new.fingerprint, True)
    assert [e.fingerprint for e in events if isinstance(e, KeyChangedEvent)] == [
        new.fingerprint]
    [notice] = get_queue_messages("virgin")
    assert notice.msgdata["recipients"] == {ZOE}
    assert "approved your new OpenPGP key" in notice.msg.get_payload()
    assert waiting_key_changes(mlist) == []
    with pytest.raises(KeyChangeNotWaiting):
        approve_key_change(mlist, token)


def test_rejection_keeps_the_old_key_and_tells_the_member_why(mlist, old, new):
    token = waiting(mlist, new)
    reject_key_change(mlist, token, "We could not reach you by phone.")
    assert held() == (old.fingerprint, True)
    [notice] = get_queue_messages("virgin")
    text = notice.msg.get_payload()
    assert "did not approve your new OpenPGP key" in text
    assert f"Your key {old.fingerprint} stays in force." in text
    assert "We could not reach you by phone." in text
    assert waiting_key_changes(mlist) == []
    with pytest.raises(KeyChangeNotWaiting):
        reject_key_change(mlist, token, "again")


def test_a_key_that_expired_while_waiting_is_not_put_in_force(mlist, old):
    expired = load_certificate(key_data("carol_expired.pub.asc"))
    token = waiting(mlist, expired)
    with pytest.raises(KeyExpired):
        approve_key_change(mlist, token)
    assert held() == (old.fingerprint, True)
    assert [request.token for request in waiting_key_changes(mlist)] == [token]


def test_tokens_of_other_lists_and_kinds_are_not_key_changes(mlist, old, new):
    token = waiting(mlist, new)
    with transaction():
        other = create_list("other@example.com")
        make_pgp_list(other)
    with pytest.raises(KeyChangeNotWaiting):
        waiting_key_change(other, token)
    assert waiting_key_changes(other) == []
    with pytest.raises(KeyChangeNotWaiting):
        waiting_key_change(mlist, "0" * 40)
    assert not is_key_change("0" * 40)


def revoked_subkey_key():
    """A gpg key with two encryption subkeys, as the list holds it after the first was
    revoked, and as it was before; the first subkey's fingerprint."""
    gpg = GnuPGClient()
    try:
        fingerprint = gpg.generate(f"Zoe <{ZOE}>")
        gpg.add_subkey(fingerprint, "cv25519", "encr")
        before = parse_certificate(gpg.export())
        [(first, _), _] = gpg.subkeys(fingerprint)
        gpg.revoke_subkey(fingerprint, 1)
        revoked = before.update(gpg.export())
    finally:
        gpg.close()
    return before, revoked, first


def test_the_same_key_sent_again_keeps_what_the_list_knows_of_it(mlist, old):
    before, revoked, first = revoked_subkey_key()
    with transaction():
        getUtility(IPGPAddressKeyManager).get(ZOE).replace(revoked, confirmed=True)
    # The member sends the key as it was before the revocation, signed by it.
    token = start(mlist, before, signed_by=before.fingerprint)
    ISubscriptionManager(mlist).resume(token)
    key = getUtility(IPGPAddressKeyManager).get(ZOE)
    assert (key.fingerprint, key.confirmed) == (before.fingerprint, True)
    assert key.certificate().key_part(first).revoked


def test_a_key_that_lost_its_encryption_key_while_waiting_is_not_put_in_force(mlist, old):
    gpg = GnuPGClient()
    try:
        fingerprint = gpg.generate(f"Zoe <{ZOE}>")
        key = parse_certificate(gpg.export())
        gpg.revoke_subkey(fingerprint)
        revoked = key.update(gpg.export())
    finally:
        gpg.close()
    keys = getUtility(IPGPAddressKeyManager)
    with transaction():
        keys.get(ZOE).replace(key, confirmed=True)
    # The same key sent again, unsigned; then its only encryption subkey is revoked.
    token = waiting(mlist, key)
    with transaction():
        keys.get(ZOE).replace(revoked, confirmed=False)
    with pytest.raises(KeyCannotEncrypt):
        approve_key_change(mlist, token)
    assert held() == (fingerprint, False)
    assert [request.token for request in waiting_key_changes(mlist)] == [token]
