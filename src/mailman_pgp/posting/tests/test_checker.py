# Test that the PGP check opens a post once with the list key, records only fingerprints, a
# digest, an address and a status, and records why when it cannot open the post.

import hashlib
import pickle
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from mailman.database.transaction import transaction
from mailman.email.message import Message
from zope.component import getUtility

import mailman_pgp.posting.encrypted_post as encrypted_post
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.mime import MessageKind
from mailman_pgp.openpgp import SignatureStatus, load_certificate
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.posting.checker import check_post
from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.calls import record_calls

SECRET = "plaintext-only-7f3a"


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    cast.add("ned", "ned@example.com", keyless=True)
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne", "ned")
    return scene


@pytest.fixture
def decrypt_calls(monkeypatch):
    return record_calls(monkeypatch, encrypted_post, "decrypt")


def run(mlist, raw: bytes) -> tuple[PostCheck, dict]:
    msgdata: dict[str, Any] = {}
    check = check_post(mlist, message_from_bytes(raw, Message), msgdata)
    assert PostCheck.load(msgdata) == check
    return check, msgdata


def test_a_good_post_is_opened_once_and_only_its_check_is_recorded(
        scenario, people, decrypt_calls):
    anne = people["anne"]
    raw = scenario.pgp_mime_post(anne, f"{SECRET}\n")
    check, msgdata = run(scenario.mlist, raw)
    assert len(decrypt_calls) == 1
    ciphertext = encrypted_post.encrypted_part(message_from_bytes(raw, Message)).ciphertext
    assert check == PostCheck(
        CheckOutcome.OPENED, "anne@example.com", hashlib.sha256(ciphertext).hexdigest(),
        SignatureStatus.GOOD, anne.fingerprint, check.issuer, anne.fingerprint,
        kind=MessageKind.PGP_MIME_ENCRYPTED, signed_at=check.signed_at,
        signature=check.signature)
    assert abs(datetime.now(UTC) - check.signed_at) < timedelta(minutes=5)
    assert len(check.signature) == 64 and check.signature != check.digest
    assert check.signed_by_sender
    assert SECRET.encode() not in pickle.dumps(msgdata)


def test_a_post_for_another_key_is_refused_naming_the_list_key(scenario, people):
    anne = people["anne"]
    check, msgdata = run(scenario.mlist,
                         scenario.pgp_mime_post(anne, "hi\n", encrypt_to=anne.fingerprint))
    assert (check.outcome, check.detail) == (CheckOutcome.UNDECRYPTABLE,
                                             scenario.list_fingerprint)
    assert not check.opened


def test_broken_pgp_mime_is_refused_as_not_well_formed(scenario, people):
    raw = scenario.pgp_mime_post(people["anne"], "hi\n")
    # Drop the encrypted part: what is left is a multipart/encrypted with one part.
    broken = raw[:raw.index(b"--------------enc0a1b2c3d4e5f6\nContent-Type: application/octet")]
    check, msgdata = run(scenario.mlist, broken + b"--------------enc0a1b2c3d4e5f6--\n")
    assert check.outcome is CheckOutcome.MALFORMED
    assert check.detail == ("The multipart/encrypted message has 1 part, not the two RFC 3156"
                            " requires.")


def test_a_list_without_a_key_refuses(mailman, people):
    from mailman.app.lifecycle import create_list

    with transaction():
        mlist = create_list("plain@example.com")
    check, msgdata = run(mlist, b"From: anne@example.com\n\nhi\n")
    assert check == PostCheck(CheckOutcome.NO_LIST_KEY, "anne@example.com")


def test_a_sender_without_a_key_is_recorded_as_such(scenario, people):
    ned = people["ned"]
    ned.client = people["anne"].client  # Ned borrows Anne's client, but has no key here.
    try:
        check, msgdata = run(scenario.mlist, scenario.pgp_mime_post(ned, "hi\n",
                                                                    signer=people["anne"]))
    finally:
        ned.client = None
    assert check.opened
    assert check.sender_key is None
    assert check.signed_by_sender is False


def test_a_signature_by_a_key_revoked_since_is_recorded_as_revoked(scenario):
    cast = People()
    try:
        dave = cast.add("dave", "dave@example.com")
        dave.client.import_key(scenario.list_key)
        scenario.people.by_name["dave"] = dave
        scenario.subscribe("dave")
        raw = scenario.pgp_mime_post(dave, "hi\n")
        dave.client.revoke(dave.fingerprint)
        revoked = load_certificate(dave.client.export(dave.email))
    finally:
        scenario.people.by_name.pop("dave", None)
        cast.close()
    with transaction():
        getUtility(IPGPAddressKeyManager).get("dave@example.com").replace(revoked, confirmed=True)
    check, msgdata = run(scenario.mlist, raw)
    assert check.status is SignatureStatus.REVOKED_KEY


def test_a_stale_record_is_never_trusted(scenario, people):
    anne = people["anne"]
    msgdata = {}
    PostCheck(CheckOutcome.OPENED, "anne@example.com", "d" * 64, SignatureStatus.GOOD,
              anne.fingerprint, None, anne.fingerprint).save(msgdata)
    msg = message_from_bytes(scenario.pgp_mime_post(anne, "hi\n", encrypt_to=anne.fingerprint),
                             Message)
    assert check_post(scenario.mlist, msg, msgdata).outcome is CheckOutcome.UNDECRYPTABLE
    assert not PostCheck.load(msgdata).opened

