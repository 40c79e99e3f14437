# Test that keys people send are measured before Sequoia reads them: bytes, user IDs, subkeys
# and signatures, for a new key, an update of a held key and a certification of the list's key.

from __future__ import annotations

import pytest

from mailman_pgp.openpgp import (
    Certificate,
    KeyLimits,
    KeyParseError,
    KeyTooLarge,
    generate_key,
    load_certificate,
    parse_certificate,
)
from mailman_pgp.testing.hostile_keys import key_with_certifications, key_with_user_ids

EMAIL = "mallory@example.com"


@pytest.fixture(scope="module")
def many_user_ids():
    # Within 1 MB, so that only the count of user IDs refuses it.
    return key_with_user_ids(EMAIL, 1000)


def test_a_key_with_more_user_ids_than_the_default_limit_is_refused_naming_the_count(
        many_user_ids) -> None:
    assert len(many_user_ids.armor) < KeyLimits().size
    with pytest.raises(KeyTooLarge, match="holds 1000 user IDs; this list reads keys with at"
                                          " most 100: remove the ones you no longer use"):
        parse_certificate(many_user_ids.armor)


def test_the_same_key_is_read_when_the_site_allows_that_many(many_user_ids) -> None:
    certificate = parse_certificate(many_user_ids.armor, limits=KeyLimits(user_ids=1000))
    assert len(certificate.user_ids) == 1000
    assert certificate.fingerprint == many_user_ids.fingerprint


def test_a_key_over_the_size_limit_is_refused_before_it_is_read() -> None:
    armor = generate_key(f"Big <{EMAIL}>").certificate.armor
    limits = KeyLimits(size=len(armor) - 1)
    with pytest.raises(KeyTooLarge, match=r"this list reads keys of at most \d+ KB.*"
                                          "export-minimal"):
        parse_certificate(armor, limits=limits)
    # Bytes that are no key at all are measured first, too.
    with pytest.raises(KeyTooLarge):
        parse_certificate(b"\x00" * (len(armor)), limits=limits)
    assert parse_certificate(armor, limits=KeyLimits(size=len(armor))).user_ids


def test_a_key_with_too_many_certifications_is_refused() -> None:
    certified = key_with_certifications(EMAIL, 30)
    with pytest.raises(KeyTooLarge, match="signatures; this list reads keys with at most 20"):
        parse_certificate(certified.armor, limits=KeyLimits(signatures=20))
    assert parse_certificate(certified.armor, limits=KeyLimits(signatures=40)).user_ids


def test_subkeys_are_counted() -> None:
    # pysequoia makes a signing and an encryption subkey.
    armor = generate_key(f"Two <{EMAIL}>").certificate.armor
    with pytest.raises(KeyTooLarge, match="holds 2 subkeys; this list reads keys with at most 1"):
        parse_certificate(armor, limits=KeyLimits(subkeys=1))


def test_key_too_large_is_a_parse_error_so_every_caller_already_answers_it() -> None:
    assert issubclass(KeyTooLarge, KeyParseError)


def held_key() -> tuple[str, Certificate]:
    key = generate_key(f"Held <{EMAIL}>")
    return key.certificate.armor, load_certificate(key.certificate.armor)


def test_an_update_over_the_limits_is_refused_and_so_is_a_key_grown_past_them(
        many_user_ids) -> None:
    held = load_certificate(key_with_user_ids(EMAIL, 3).armor)
    # The same key can only be grown by its owner; any key over the limit is refused
    # before it is compared with the held one.
    with pytest.raises(KeyTooLarge, match="1000 user IDs"):
        held.update(many_user_ids.armor)
    with pytest.raises(KeyTooLarge, match="holds 3 user IDs; this list reads keys with at most 2"):
        held.update(held.armor, limits=KeyLimits(user_ids=2))


def test_a_stored_key_is_loaded_whatever_its_size(many_user_ids) -> None:
    # What the list holds was measured when it arrived, and may have grown by certifications
    # the list accepted since: loading it is not judging it.
    assert len(load_certificate(many_user_ids.armor).user_ids) == 1000


def test_the_list_key_is_not_certified_with_a_key_over_the_limits() -> None:
    list_key = generate_key("Crypto <crypto@example.com>").certificate
    certifier = generate_key(f"Signer <{EMAIL}>").certificate
    with pytest.raises(KeyTooLarge):
        list_key.certified_by(list_key.armor, certifier, limits=KeyLimits(subkeys=1))
