# Test that the webhooks plugin serializes the PGP plugin's objects to the identifiers their
# interfaces declare (list_id, email), though neither plugin imports the other.

from mailman.app.lifecycle import create_list
from mailman.database.transaction import transaction
from zope.component import getUtility

from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.openpgp import generate_key
from mailman_webhooks.serialization import serialize_event


class KeyEvent:
    """An event as the PGP plugin will fire them, carrying its own objects."""

    def __init__(self, pgp_list, address_key) -> None:
        self.pgp_list = pgp_list
        self.address_key = address_key


def test_pgp_objects_serialize_to_their_rest_identifiers(mailman):
    with transaction():
        pgp_list = make_pgp_list(create_list("crypto@example.com"))
        key = getUtility(IPGPAddressKeyManager).add(
            "Anne@example.com", generate_key("Anne <anne@example.com>").certificate,
            confirmed=True)
    payload = serialize_event(KeyEvent(pgp_list, key), include_secrets=True)
    assert payload == {"pgp_list": "crypto.example.com", "address_key": "anne@example.com"}
