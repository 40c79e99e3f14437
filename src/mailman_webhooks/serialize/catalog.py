"""The tables of known events: every event class Mailman 3.3.10 fires, and the events of the
other plugin of this project (the PGP plugin), each with its fields.

The serializer itself needs no table (its rules are generic); these exist so that a new
Mailman event is noticed by a test and so the consumer guide lists every event and field.
This plugin never imports the PGP plugin: its events are named here by class name and
module, and the test that holds them to the real classes and to real payloads lives where
both plugins may be imported (``tests/test_pgp_webhook_events.py`` at the top of the tree).
"""

from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class EventSpec:
    """What a consumer is told about one event class: where it lives and what it carries."""

    module: str
    description: str
    fields: dict[str, str] = field(default_factory=dict)


_LIST = "the mailing list's `list_id`, e.g. `ant.example.com`"
_MEMBER = "the member's `member_id` (REST 3.1 hex form)"
_TOKEN = (
    "the confirmation token; a secret: `null` unless the endpoint is configured to receive "
    "secrets"
)
_EMAIL = "the email address that has to confirm (a string)"
_CHAIN_FIELDS = {
    "mlist": _LIST,
    "msg": "the message's `Message-ID` header (never the message itself)",
    "msgdata": (
        "the message metadata Mailman keeps beside the message (e.g. `rule_hits`, "
        "`moderation_reasons`), with the same rules applied; keys starting with `_` are left out"
    ),
    "chain": "the name of the chain that took the decision, e.g. `hold`",
}

_MAILMAN_EVENTS = {
    "ConfigurationUpdatedEvent": EventSpec(
        "mailman.interfaces.configuration",
        "Mailman's configuration was (re)loaded or pushed, in one process.",
        {
            "config": (
                "always `null`: the configuration holds credentials and is never sent; read "
                "what you need from REST `/3.1/system/configuration`"
            )
        },
    ),
    "DomainCreatingEvent": EventSpec(
        "mailman.interfaces.domain",
        "A domain is about to be created.",
        {"mail_host": "the new domain's `mail_host`"},
    ),
    "DomainCreatedEvent": EventSpec(
        "mailman.interfaces.domain",
        "A domain was created.",
        {"domain": "the domain's `mail_host`"},
    ),
    "DomainDeletingEvent": EventSpec(
        "mailman.interfaces.domain",
        "A domain is about to be deleted.",
        {"domain": "the domain's `mail_host`"},
    ),
    "DomainDeletedEvent": EventSpec(
        "mailman.interfaces.domain",
        "A domain was deleted.",
        {"mail_host": "the deleted domain's `mail_host`"},
    ),
    "ListCreatingEvent": EventSpec(
        "mailman.interfaces.listmanager",
        "A mailing list is about to be created.",
        {"fqdn_listname": "the posting address of the new list, e.g. `ant@example.com`"},
    ),
    "ListCreatedEvent": EventSpec(
        "mailman.interfaces.listmanager",
        "A mailing list was created.",
        {"mailing_list": _LIST},
    ),
    "ListDeletingEvent": EventSpec(
        "mailman.interfaces.listmanager",
        "A mailing list is about to be deleted.",
        {"mailing_list": _LIST},
    ),
    "ListDeletedEvent": EventSpec(
        "mailman.interfaces.listmanager",
        "A mailing list was deleted.",
        {"fqdn_listname": "the posting address the deleted list had"},
    ),
    "SubscriptionEvent": EventSpec(
        "mailman.interfaces.member",
        "An address or user joined a mailing list (as member, owner, moderator or nonmember).",
        {
            "mlist": _LIST,
            "member": _MEMBER,
            "send_welcome_message": (
                "`true`/`false` when the caller decided whether to send a welcome message, "
                "`null` for the list's default"
            ),
        },
    ),
    "UnsubscriptionEvent": EventSpec(
        "mailman.interfaces.member",
        "A member is leaving a mailing list; fired just before the member is deleted, so the "
        "`member_id` can no longer be looked up once the change is committed.",
        {"mlist": _LIST, "member": _MEMBER},
    ),
    "SubscriptionConfirmationNeededEvent": EventSpec(
        "mailman.interfaces.subscriptions",
        "A subscription waits for the subscriber's confirmation; Mailman mails them the token.",
        {"mlist": _LIST, "token": _TOKEN, "email": _EMAIL},
    ),
    "SubscriptionInvitationNeededEvent": EventSpec(
        "mailman.interfaces.subscriptions",
        "Someone was invited to a list; Mailman mails them the token to accept the invitation.",
        {"mlist": _LIST, "token": _TOKEN, "email": "the invited email address"},
    ),
    "UnsubscriptionConfirmationNeededEvent": EventSpec(
        "mailman.interfaces.subscriptions",
        "An unsubscription waits for the member's confirmation; Mailman mails them the token.",
        {"mlist": _LIST, "token": _TOKEN, "email": _EMAIL},
    ),
    "AddressVerificationEvent": EventSpec(
        "mailman.interfaces.address",
        "An address was verified, or marked unverified again (the event does not say which: "
        "read `verified_on` of the address from REST).",
        {"address": "the address's `email`"},
    ),
    "PasswordChangeEvent": EventSpec(
        "mailman.interfaces.user",
        "A user's password was set or changed (the password is never sent).",
        {"user": "the user's `user_id` (REST 3.1 hex form)"},
    ),
    "AcceptEvent": EventSpec(
        "mailman.interfaces.chain",
        "A posted message was accepted for delivery to the list.",
        _CHAIN_FIELDS,
    ),
    "AcceptOwnerEvent": EventSpec(
        "mailman.interfaces.chain",
        "A message to the list's -owner address was accepted.",
        _CHAIN_FIELDS,
    ),
    "DiscardEvent": EventSpec(
        "mailman.interfaces.chain",
        "A posted message was discarded.",
        _CHAIN_FIELDS,
    ),
    "HoldEvent": EventSpec(
        "mailman.interfaces.chain",
        "A posted message was held for moderation (find it under REST "
        "`/3.1/lists/{list_id}/held` by its Message-ID).",
        _CHAIN_FIELDS,
    ),
    "RejectEvent": EventSpec(
        "mailman.interfaces.chain",
        "A posted message was rejected and bounced to its sender.",
        _CHAIN_FIELDS,
    ),
    "RunnerCrashEvent": EventSpec(
        "mailman.interfaces.runner",
        "A runner failed on a message; Mailman moves the message to the shunt queue.",
        {
            "runner": "the runner's name, e.g. `in`",
            "mailing_list": _LIST,
            "message": "the message's `Message-ID` header",
            "metadata": "the message metadata, as `msgdata` of the chain events",
            "error": "the exception's class name (its text is never sent)",
        },
    ),
}

KNOWN_EVENTS: MappingProxyType[str, EventSpec] = MappingProxyType(_MAILMAN_EVENTS)
"""Event class name -> `EventSpec`, for every event class of Mailman 3.3.10."""


_PGP_EVENTS_MODULE = "mailman_pgp.interfaces.events"
_PGP_LIST = (
    "the `list_id` of the PGP list concerned; `null` for a key set through REST for an address "
    "on no PGP list (see *Which list* in the consumer guide)"
)
_PGP_EMAIL = (
    "the address whose key it is, lower-case; REST "
    "`/3.1/plugins/pgp/addresses/{email}/key` shows the key"
)
_PGP_FINGERPRINT = "the fingerprint of the key, upper-case hex (40 digits, 64 for a v6 key)"

_PGP_PLUGIN_EVENTS = {
    "ListKeyCreatedEvent": EventSpec(
        _PGP_EVENTS_MODULE,
        "A list became a PGP list: its key pair was generated (REST `POST "
        "/3.1/plugins/pgp/lists`).",
        {
            "mlist": "the list's `list_id`; REST `/3.1/plugins/pgp/lists/{list_id}/key` gives "
            "its public key",
            "fingerprint": "the fingerprint of the list's new key, upper-case hex",
        },
    ),
    "KeySetEvent": EventSpec(
        _PGP_EVENTS_MODULE,
        "An address got a new key that is not confirmed yet: the person answered the list's "
        "`key set` request with it, and the list sends them a challenge encrypted to it; or an "
        "administrator set it through REST, and `KeyConfirmedEvent` follows at once.",
        {"mlist": _PGP_LIST, "email": _PGP_EMAIL, "fingerprint": _PGP_FINGERPRINT},
    ),
    "KeyConfirmedEvent": EventSpec(
        _PGP_EVENTS_MODULE,
        "The key of an address is confirmed: its holder answered the challenge signed with it, "
        "or an administrator set it through REST (vouching for it). From now on the list "
        "encrypts to it and accepts posts signed by it.",
        {"mlist": _PGP_LIST, "email": _PGP_EMAIL, "fingerprint": _PGP_FINGERPRINT},
    ),
    "KeyChangedEvent": EventSpec(
        _PGP_EVENTS_MODULE,
        "An address's confirmed key was replaced by another, confirmed key: one proved with "
        "the `key change` command (and approved by a moderator when the request was not signed "
        "by the old key), or one set through REST.",
        {
            "mlist": _PGP_LIST,
            "email": _PGP_EMAIL,
            "fingerprint": "the fingerprint of the new key, upper-case hex",
        },
    ),
    "KeyRevokedEvent": EventSpec(
        _PGP_EVENTS_MODULE,
        "A revocation of an address's key, or of one of its subkeys, was recorded (the "
        "`key revoke` command, or a revocation certificate or revoked key sent through REST); "
        "the list no longer uses what was revoked.",
        {
            "mlist": _PGP_LIST,
            "email": _PGP_EMAIL,
            "fingerprint": "the fingerprint of the key (its primary key, also when a subkey "
            "was revoked)",
        },
    ),
    "ListKeyCertifiedEvent": EventSpec(
        _PGP_EVENTS_MODULE,
        "A member's key certified the list's key: the `key sign` command, confirmed by the "
        "member; the list's public key now carries the certification.",
        {
            "mlist": "the `list_id` of the list whose key was certified",
            "email": "the address of the member whose key made the certification",
            "fingerprint": "the fingerprint of that member's key, upper-case hex",
        },
    ),
}

PLUGIN_EVENTS: MappingProxyType[str, EventSpec] = MappingProxyType(_PGP_PLUGIN_EVENTS)
"""Event class name -> `EventSpec`, for the PGP plugin's events (named, never imported)."""
