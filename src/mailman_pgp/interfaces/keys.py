"""A subscriber's key and the manager that finds and stores subscribers' keys."""

from public import public
from zope.interface import Attribute, Interface

from mailman_plugin_kit.identity import declare_rest_identifier


@public
class IPGPAddressKey(Interface):
    """The public key registered for one email address, and whether it is confirmed."""

    email = Attribute("The address, lower-cased.")
    fingerprint = Attribute("The key's fingerprint, upper-case hex.")
    public_key = Attribute("The key, ASCII-armored.")
    confirmed = Attribute("Whether the holder proved the key, or an administrator vouched.")
    updated_at = Attribute("When the key was last set or updated (naive UTC).")

    def certificate():
        """The key, parsed (`mailman_pgp.openpgp.Certificate`), not judged."""

    def replace(certificate, *, confirmed):
        """Hold ``certificate`` instead of the current key."""


declare_rest_identifier(IPGPAddressKey, "email")


@public
class IPGPAddressKeyManager(Interface):
    """Finds and stores subscribers' keys, one per email address."""

    def get(email):
        """The `IPGPAddressKey` of ``email`` (any case), confirmed or not; or None."""

    def confirmed_for(emails):
        """Lower-cased address to `IPGPAddressKey`, for those of ``emails`` with a
        confirmed key."""

    def keys_for(emails):
        """Lower-cased address to `IPGPAddressKey`, for those of ``emails`` with a key,
        confirmed or not."""

    def add(email, certificate, *, confirmed):
        """Register ``certificate`` for ``email``, which has no key yet; the new key."""

    def delete(email):
        """Forget the key of ``email``, if it has one."""
