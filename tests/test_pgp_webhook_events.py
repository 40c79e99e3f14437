# Test that webhook consumers are told the truth about the PGP plugin's events: each event class
# the PGP plugin defines is in the webhooks plugin's catalogue with its fields, real operations
# fire each of them, their payloads carry identifiers only (a list ID, an address, a
# fingerprint; never key material), and docs/webhooks-consumer.md shows what those operations
# produce. It lives here because it imports both plugins, which never import each other; the
# events of a join by email (with its tokens) are checked in test_pgp_join_by_email.py.

from __future__ import annotations

import base64
import inspect
import json
import os
import warnings
from collections.abc import Iterator

import falcon.testing
import falcon.util.deprecation
import pytest
from mailman.config import config
from mailman.database.transaction import transaction
from zope.component import getUtility
from zope.event import notify

from mailman_pgp.app.keys import set_address_key
from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.interfaces import events as pgp_events
from mailman_pgp.interfaces.events import ListKeyCertifiedEvent
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.testing.gnupg import GnuPGClient
from mailman_webhooks.serialize.catalog import PLUGIN_EVENTS
from mailman_webhooks.tests import scenario
from mailman_webhooks.tests.scenario import Captured

# The guide's own helpers, so that this section is generated and read exactly as the
# section of Mailman's events is.
from mailman_webhooks.tests.test_consumer_docs import (
    _doc,
    _envelopes,
    _events_section,
    _parse_events,
    _render,
    _shape,
    _write_events_section,
)

BEGIN = (
    "<!-- BEGIN GENERATED PGP EVENTS: scripts/webhooks-consumer-docs"
    " tests/test_pgp_webhook_events.py -->"
)
END = "<!-- END GENERATED PGP EVENTS -->"
ANNE = "anne@example.com"


@pytest.fixture
def anne() -> Iterator[GnuPGClient]:
    client = GnuPGClient()
    yield client
    client.close()


def every_pgp_event(anne: GnuPGClient) -> list[Captured]:
    """Fire each event of the PGP plugin through the operations that fire it in production."""
    with scenario.capture() as captured:
        mlist = scenario.make_list("crypto@example.com")
        with transaction():
            make_pgp_list(mlist)
        scenario.subscribe_directly(mlist, ANNE)
        # An administrator sets anne's key through REST (which calls set_address_key),
        # replaces it by another, then records the revocation of that one.
        first = anne.generate(f"Anne Person <{ANNE}>")
        with transaction():
            set_address_key(ANNE, anne.export(first), confirmed=True)
        second = anne.generate(f"Anne P. <{ANNE}>")
        with transaction():
            set_address_key(ANNE, anne.export(second), confirmed=True)
        anne.revoke(second)
        with transaction():
            set_address_key(ANNE, anne.export(second), confirmed=True)
        # No operation certifies a list key yet (the `key sign` command); fired as that
        # command fires it, so the guide shows its payload.
        notify(ListKeyCertifiedEvent(mlist, ANNE, first))
        # An owner changes two policies through REST, answered in this process.
        answer = rest_client().simulate_patch(
            "/3.1/plugins/pgp/lists/crypto.example.com",
            json={"unsigned_action": "hold", "protect_headers": False})
        assert answer.status_code == 204, answer.text
    return [entry for entry in captured if entry.name in PLUGIN_EVENTS]


def rest_client() -> falcon.testing.TestClient:
    """Mailman's REST application in this process, so its events reach this process's
    subscribers; authenticated as the REST administrator."""
    # Imported once Mailman is configured: the module reads the configuration.
    from mailman.rest.wsgiapp import make_application

    credentials = f"{config.webservice.admin_user}:{config.webservice.admin_pass}"
    with warnings.catch_warnings():
        # Mailman 3.3.10 sets an option this falcon deprecates; its REST server does too.
        warnings.simplefilter("ignore", falcon.util.deprecation.DeprecatedWarning)
        application = make_application()

    def wsgi(environ, start_response):
        # A plain WSGI callable: falcon's client cannot read RootedAPI's signature.
        return application(environ, start_response)

    return falcon.testing.TestClient(wsgi, headers={
        "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()})


def test_every_event_class_of_the_pgp_plugin_is_in_the_catalogue():
    classes = {name: getattr(pgp_events, name) for name in pgp_events.__all__}
    assert set(classes) == set(PLUGIN_EVENTS)
    for name, event_class in classes.items():
        spec = PLUGIN_EVENTS[name]
        assert event_class.__module__ == spec.module, name
        assert list(inspect.signature(event_class).parameters) == list(spec.fields), name


def test_real_operations_fire_every_pgp_event_with_its_fields(mailman, anne):
    captured = every_pgp_event(anne)
    assert [entry.name for entry in captured] == [
        "ListKeyCreatedEvent", "KeySetEvent", "KeyConfirmedEvent", "KeyChangedEvent",
        "KeyRevokedEvent", "ListKeyCertifiedEvent", "PGPListSettingsChangedEvent"]
    for entry in captured:
        assert list(entry.plain) == list(PLUGIN_EVENTS[entry.name].fields), entry.name
        assert entry.plain["mlist"] == "crypto.example.com"


def test_documented_pgp_examples_are_what_real_operations_produce(mailman, anne):
    envelopes = _envelopes(every_pgp_event(anne))
    assert set(envelopes) == set(PLUGIN_EVENTS)
    if os.environ.get("WEBHOOKS_WRITE_DOCS"):
        _write_events_section(_render(envelopes, PLUGIN_EVENTS), BEGIN, END)
    documented = _parse_events(_events_section(_doc(), BEGIN, END))
    assert list(documented) == list(PLUGIN_EVENTS)
    for name, (fields, example) in documented.items():
        assert fields == PLUGIN_EVENTS[name].fields, name
        assert example["name"] == name
        assert _shape(example) == _shape(envelopes[name]), name


# --- Identifiers only: no key material, no token ---------------------------------------------


def armor_lines(armor: str) -> list[str]:
    """The base64 lines of an ASCII-armored block: any of them would be key material."""
    return [line for line in armor.splitlines() if len(line) >= 16 and ":" not in line
            and not line.startswith("-----")]


SETTING_NAMES = {"unsigned_action", "protect_headers"}


def test_a_settings_change_names_the_settings_not_their_values(mailman, anne):
    [entry] = [entry for entry in every_pgp_event(anne)
               if entry.name == "PGPListSettingsChangedEvent"]
    assert entry.plain == {"mlist": "crypto.example.com",
                           "changed": ["protect_headers", "unsigned_action"]}


def test_payloads_carry_identifiers_only_never_key_material(mailman, anne):
    captured = every_pgp_event(anne)
    [pgp_list] = getUtility(IPGPListManager).lists
    fingerprints = [line.split(":")[9] for line in anne.run(
        "--with-colons", "--list-keys").output.decode().splitlines() if line.startswith("fpr:")]
    identifiers = {"crypto.example.com", ANNE, pgp_list.fingerprint, *fingerprints}
    material = [*armor_lines(anne.export()), *armor_lines(pgp_list.public_key)]
    assert material
    for entry in captured:
        for payload in (entry.plain, entry.with_secrets):
            values = [item for value in payload.values()
                      for item in (value if isinstance(value, list) else [value])]
            assert set(values) <= identifiers | SETTING_NAMES, (entry.name, payload)
            text = json.dumps(payload)
            assert "PGP" not in text
            assert not [line for line in material if line in text], entry.name
