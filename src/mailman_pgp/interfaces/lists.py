"""A PGP list and the manager that finds, makes and opens PGP lists."""

from enum import Enum
from types import MappingProxyType

from mailman.interfaces.action import Action
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
class PolicyCase(Enum):
    """A way a post falls short of a signed, encrypted PGP/MIME post by a member's key.

    Declared in the order the posting chain checks them; each has a list setting
    ``<case>_action`` (`setting`) holding the `Action` taken on it.
    """

    # Not encrypted to the list key.
    unencrypted = "unencrypted"
    # Not signed at all.
    unsigned = "unsigned"
    # Signed, but the signature does not verify.
    bad_signature = "bad_signature"
    # Signed by a key that is expired now or was when it signed.
    expired_key = "expired_key"
    # Signed by a revoked key.
    revoked_key = "revoked_key"
    # Signed by a key that is not the sender's confirmed key.
    unknown_key = "unknown_key"
    # Inline PGP (armored text in the body) rather than PGP/MIME.
    inline_pgp = "inline_pgp"
    # A signature seen before on this list, or made outside the replay window.
    replay = "replay"

    @property
    def setting(self) -> str:
        """The name of the list attribute holding this case's `Action`."""
        return f"{self.value}_action"


@public
class PGPSwitch(Enum):
    """A per-list on/off setting of how a PGP list handles its copies and archive."""

    # Each copy is signed by the list key.
    sign_outgoing = "sign_outgoing"
    # The sender's own signature is removed from the copies.
    strip_sender_signature = "strip_sender_signature"
    # Subject and other headers travel inside the encrypted part (RFC 9788).
    protect_headers = "protect_headers"
    # Copies carry an Autocrypt header with the list key.
    autocrypt = "autocrypt"
    # Archivers such as HyperKitty get the plaintext of posts.
    archive_plaintext = "archive_plaintext"


ACTION_DEFAULTS: MappingProxyType[PolicyCase, Action] = MappingProxyType({
    case: Action.accept if case is PolicyCase.inline_pgp else Action.reject
    for case in PolicyCase})
SWITCH_DEFAULTS: MappingProxyType[PGPSwitch, bool] = MappingProxyType({
    PGPSwitch.sign_outgoing: True,
    PGPSwitch.strip_sender_signature: False,
    PGPSwitch.protect_headers: True,
    PGPSwitch.autocrypt: True,
    PGPSwitch.archive_plaintext: False,
})
# Every per-list policy setting, by attribute name, with the value a new PGP list gets.
POLICY_DEFAULTS: MappingProxyType[str, Action | bool] = MappingProxyType({
    **{case.setting: action for case, action in ACTION_DEFAULTS.items()},
    **{switch.value: on for switch, on in SWITCH_DEFAULTS.items()},
})
public(ACTION_DEFAULTS=ACTION_DEFAULTS, SWITCH_DEFAULTS=SWITCH_DEFAULTS,
       POLICY_DEFAULTS=POLICY_DEFAULTS)


@public
class IPGPMailingList(Interface):
    """The PGP side of one Mailman list: its key pair and its policies."""

    list_id = Attribute("The list ID of the Mailman list this is the PGP side of.")
    fingerprint = Attribute("The fingerprint of the list's key, upper-case hex.")
    public_key = Attribute("The list's public key, ASCII-armored.")
    created_at = Attribute("When the list became a PGP list (naive UTC).")
    key_signers = Attribute("Who may certify the list's key by email: a `KeySigners`.")

    unencrypted_action = Attribute(
        "The `Action` on a post not encrypted to the list key (default reject); accept "
        "delivers it encrypted to the members and tells the sender it travelled in the clear.")
    unsigned_action = Attribute("The `Action` on a post without a signature (default reject).")
    bad_signature_action = Attribute(
        "The `Action` on a post whose signature does not verify (default reject).")
    expired_key_action = Attribute(
        "The `Action` on a post signed by a key expired now or when it signed (default reject).")
    revoked_key_action = Attribute(
        "The `Action` on a post signed by a revoked key (default reject).")
    unknown_key_action = Attribute(
        "The `Action` on a post signed by a key other than the sender's confirmed key "
        "(default reject).")
    inline_pgp_action = Attribute("The `Action` on an inline PGP post (default accept).")
    replay_action = Attribute(
        "The `Action` on a post whose signature the list has seen, or that was made "
        "outside the replay window (default reject).")
    sign_outgoing = Attribute("Copies are signed by the list key (default True).")
    strip_sender_signature = Attribute(
        "The sender's signature is removed from the copies (default False).")
    protect_headers = Attribute(
        "Headers travel inside the encrypted part, RFC 9788 (default True).")
    autocrypt = Attribute("Copies carry an Autocrypt header with the list key (default True).")
    archive_plaintext = Attribute(
        "Archivers such as HyperKitty get the plaintext of posts (default False).")

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
