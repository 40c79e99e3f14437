# Test that the pgp-not-decryptable rule opens a post once with the list key, records only
# fingerprints and a status, and refuses what the list key cannot open, saying why.

import hashlib
import pickle
from email import message_from_bytes

import pytest
from mailman.core.i18n import format_reasons
from mailman.database.transaction import transaction
from mailman.email.message import Message

import mailman_pgp.posting.sealed as sealed
from mailman_pgp.model import PGPAddressKey
from mailman_pgp.openpgp import SignatureStatus, load_certificate
from mailman_pgp.posting.check import PostCheck
from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.rules.pgp_not_decryptable import PGPNotDecryptable
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
    return record_calls(monkeypatch, sealed, "decrypt")


def run(mlist, raw: bytes) -> tuple[bool, dict]:
    msgdata = {}
    hit = PGPNotDecryptable().check(mlist, message_from_bytes(raw, Message), msgdata)
    return hit, msgdata


def test_a_good_post_is_opened_once_and_only_its_check_is_recorded(
        scenario, people, decrypt_calls):
    anne = people["anne"]
    raw = scenario.pgp_mime_post(anne, f"{SECRET}\n")
    hit, msgdata = run(scenario.mlist, raw)
    assert hit is False
    assert len(decrypt_calls) == 1
    ciphertext = sealed.sealed(message_from_bytes(raw, Message)).ciphertext
    assert PostCheck.load(msgdata) == PostCheck(
        SignatureStatus.GOOD, hashlib.sha256(ciphertext).hexdigest(), "anne@example.com",
        anne.fingerprint, PostCheck.load(msgdata).issuer, anne.fingerprint)
    assert SECRET.encode() not in pickle.dumps(msgdata)


def test_a_post_for_another_key_is_refused_naming_the_list_key(scenario, people):
    anne = people["anne"]
    hit, msgdata = run(scenario.mlist,
                       scenario.pgp_mime_post(anne, "hi\n", encrypt_to=anne.fingerprint))
    assert hit is True
    [reason] = format_reasons(msgdata["moderation_reasons"])
    assert reason == ("The list could not decrypt your message. Encrypt it to the list's key "
                      f"{scenario.list_fingerprint}.")
    assert PostCheck.load(msgdata) is None


def test_broken_pgp_mime_is_refused_as_not_well_formed(scenario, people):
    raw = scenario.pgp_mime_post(people["anne"], "hi\n")
    # Drop the encrypted part: what is left is a multipart/encrypted with one part.
    broken = raw[:raw.index(b"--------------enc0a1b2c3d4e5f6\nContent-Type: application/octet")]
    hit, msgdata = run(scenario.mlist, broken + b"--------------enc0a1b2c3d4e5f6--\n")
    assert hit is True
    [reason] = format_reasons(msgdata["moderation_reasons"])
    assert reason.startswith("Your message is not well-formed: ")


def test_a_list_without_a_key_refuses(mailman, people):
    from mailman.app.lifecycle import create_list

    with transaction():
        mlist = create_list("plain@example.com")
    hit, msgdata = run(mlist, b"From: anne@example.com\n\nhi\n")
    assert hit is True
    assert format_reasons(msgdata["moderation_reasons"]) == [
        "This list has no OpenPGP key, so it accepts no encrypted posts."]


def test_a_sender_without_a_key_is_recorded_as_such(scenario, people):
    ned = people["ned"]
    ned.client = people["anne"].client  # Ned borrows Anne's client, but has no key here.
    try:
        hit, msgdata = run(scenario.mlist, scenario.pgp_mime_post(ned, "hi\n",
                                                                  signer=people["anne"]))
    finally:
        ned.client = None
    assert hit is False
    check = PostCheck.load(msgdata)
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
        PGPAddressKey.for_email("dave@example.com").replace(revoked, confirmed=True)
    hit, msgdata = run(scenario.mlist, raw)
    assert hit is False
    assert PostCheck.load(msgdata).status is SignatureStatus.REVOKED_KEY


def test_a_stale_record_is_never_trusted(scenario, people):
    anne = people["anne"]
    msgdata = {}
    PostCheck(SignatureStatus.GOOD, anne.fingerprint, None, anne.fingerprint).save(msgdata)
    msg = message_from_bytes(scenario.pgp_mime_post(anne, "hi\n", encrypt_to=anne.fingerprint),
                             Message)
    assert PGPNotDecryptable().check(scenario.mlist, msg, msgdata) is True
    assert PostCheck.load(msgdata) is None

