"""The keys a PGP list's archive is encrypted to, besides the list's own."""

from public import public
from zope.interface import Attribute, Interface

from mailman_plugin_kit.identity import declare_rest_identifier


@public
class IPGPArchiveKey(Interface):
    """A public key each copy in one PGP list's archive is encrypted to."""

    list_id = Attribute("The list ID of the PGP list whose archive this key reads.")
    fingerprint = Attribute("The key's fingerprint, upper-case hex.")
    public_key = Attribute("The key, ASCII-armored.")
    added_at = Attribute("When the key was added or last replaced (naive UTC).")

    def certificate():
        """The key, parsed (`mailman_pgp.openpgp.Certificate`), not judged."""


declare_rest_identifier(IPGPArchiveKey, "fingerprint")
