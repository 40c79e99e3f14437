"""A PGP list and the manager that finds, makes and opens PGP lists."""

from enum import Enum

from public import public
from zope.interface import Attribute, Interface

from mailman_plugin_kit.identity import declare_rest_identifier


@public
class KeySigners(Enum):
    """Who may certify a PGP list's key by email (``key sign``), by their role on the list.

    Named as the REST API and the database spell them.
    """

    # No one: the list's key carries only its own signatures.
    nobody = "nobody"
    # The list's owners and moderators (Mailman's administrators): the default.
    administrators = "administrators"
    # Anyone subscribed to the list, in any role.
    members = "members"


@public
class IPGPMailingList(Interface):
    """The PGP side of one Mailman list: its key pair."""

    list_id = Attribute("The list ID of the Mailman list this is the PGP side of.")
    fingerprint = Attribute("The fingerprint of the list's key, upper-case hex.")
    public_key = Attribute("The list's public key, ASCII-armored.")
    created_at = Attribute("When the list became a PGP list (naive UTC).")
    key_signers = Attribute("Who may certify the list's key by email: a `KeySigners`.")

    def certificate():
        """The list's public key, parsed (`mailman_pgp.openpgp.Certificate`)."""

    def update_public_key(certificate):
        """Hold ``certificate``, the list's own key (same fingerprint) with what was merged
        into it, e.g. members' certifications, as the list's public key."""


declare_rest_identifier(IPGPMailingList, "list_id")


@public
class IPGPListManager(Interface):
    """Finds PGP lists, makes them, and opens their secret keys.

    The secret half of a list's key is stored protected by the plugin's passphrase;
    only the manager, which holds that passphrase, opens it.
    """

    def get(list_id):
        """The `IPGPMailingList` of ``list_id``, or None when it is not a PGP list."""

    def create(list_id, key):
        """Store ``key`` (a `SecretKey`) as the key pair of ``list_id``; the new list."""

    def replace_key(pgp_list, key):
        """Make ``key`` (a `SecretKey`) the key pair of ``pgp_list``, keeping the rest of it."""

    def delete(list_id):
        """Forget the key pair of ``list_id``, if it has one."""

    lists = Attribute("Every PGP list, ordered by list ID.")

    def secret_key(pgp_list):
        """The `SecretKey` of ``pgp_list``, opened in memory only."""
