# Test that the address key manager (the IPGPAddressKeyManager utility) stores subscriber keys
# per lower-cased address, finds them in one query per batch, and parses each once per process.

import pytest
from mailman.database.transaction import transaction
from zope.component import getUtility
from zope.interface.verify import verifyObject

from mailman_pgp.interfaces.keys import IPGPAddressKey, IPGPAddressKeyManager
from mailman_pgp.model import PGPAddressKey, address_key, address_key_manager
from mailman_pgp.openpgp import generate_key


def certificate(email: str):
    return generate_key(f"Someone <{email}>").certificate


def keys() -> IPGPAddressKeyManager:
    return getUtility(IPGPAddressKeyManager)


def store_key(email: str, *, confirmed: bool) -> PGPAddressKey:
    with transaction():
        key = keys().add(email, certificate(email), confirmed=confirmed)
    return key


def test_the_manager_and_its_keys_provide_their_interfaces(mailman):
    assert verifyObject(IPGPAddressKeyManager, keys())
    assert verifyObject(IPGPAddressKey, store_key("anne@example.com", confirmed=True))


def test_delete_forgets_the_key_and_ignores_an_address_without_one(mailman):
    store_key("anne@example.com", confirmed=True)
    with transaction():
        keys().delete("ANNE@example.com")
        keys().delete("bart@example.com")
    assert keys().get("anne@example.com") is None


def test_email_is_stored_lower_case_and_found_in_any_case(mailman):
    stored = store_key("Anne@Example.COM", confirmed=True)
    found = keys().get("ANNE@example.com")
    assert found.email == "anne@example.com"
    assert found.fingerprint == stored.fingerprint
    assert found.certificate().fingerprint == stored.fingerprint


def test_unknown_email_is_none(mailman):
    store_key("anne@example.com", confirmed=True)
    assert keys().get("bart@example.com") is None


def test_replace_swaps_the_key_and_its_state(mailman):
    key = store_key("anne@example.com", confirmed=True)
    new = certificate("anne@example.com")
    with transaction():
        key.replace(new, confirmed=False)
    found = keys().get("anne@example.com")
    assert (found.fingerprint, found.public_key, found.confirmed) == (
        new.fingerprint,
        new.armor,
        False,
    )


def test_confirmed_for_returns_only_confirmed_keys_by_lower_cased_email(mailman):
    anne = store_key("anne@example.com", confirmed=True)
    store_key("bart@example.com", confirmed=False)
    found = keys().confirmed_for(["Anne@example.com", "bart@example.com", "cris@x.org"])
    assert list(found) == ["anne@example.com"]
    assert found["anne@example.com"].fingerprint == anne.fingerprint


def test_keys_for_returns_confirmed_and_waiting_keys_by_lower_cased_email(mailman):
    anne = store_key("anne@example.com", confirmed=True)
    bart = store_key("bart@example.com", confirmed=False)
    found = keys().keys_for(["Anne@example.com", "BART@example.com", "cris@x.org"])
    assert {email: (key.fingerprint, key.confirmed) for email, key in found.items()} == {
        "anne@example.com": (anne.fingerprint, True),
        "bart@example.com": (bart.fingerprint, False),
    }


def test_confirmed_for_nobody_is_empty(mailman):
    assert keys().confirmed_for([]) == {}


def test_confirmed_for_many_addresses_queries_in_chunks(mailman, monkeypatch):
    monkeypatch.setattr(address_key_manager, "QUERY_CHUNK", 2)
    emails = [f"member{n}@example.com" for n in range(5)]
    for email in emails:
        store_key(email, confirmed=True)
    assert sorted(keys().confirmed_for(emails)) == emails


@pytest.mark.parametrize("confirmed", [True, False], ids=["confirmed", "unconfirmed"])
def test_repr_says_whether_confirmed(mailman, confirmed):
    key = store_key("anne@example.com", confirmed=confirmed)
    state = "confirmed" if confirmed else "unconfirmed"
    assert repr(key) == f"<PGPAddressKey anne@example.com {key.fingerprint} {state}>"


def test_a_stored_key_is_parsed_once_per_process_and_a_replaced_one_afresh(
        mailman, monkeypatch):
    parsed = []
    real = address_key.load_certificate
    monkeypatch.setattr(address_key, "load_certificate", lambda a: parsed.append(a) or real(a))
    address_key._parsed.cache_clear()
    key = store_key("anne@example.com", confirmed=True)
    first = keys().get("anne@example.com").certificate()
    again = keys().get("anne@example.com").certificate()
    assert again is first
    assert len(parsed) == 1
    new = certificate("anne@example.com")
    with transaction():
        key.replace(new, confirmed=True)
    assert keys().get("anne@example.com").certificate().fingerprint == new.fingerprint
    assert len(parsed) == 2
