"""The tables of known events: every event class Mailman 3.3.10 fires, the events this
plugin derives from changes Mailman announces with none, and the events of the other plugin
of this project (the PGP plugin), each with its fields.

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
_METADATA = (
    "the message metadata Mailman keeps beside the message (e.g. `rule_hits`, "
    "`moderation_reasons`), with the same rules applied; keys starting with `_` and "
    "`recipients` (the members' addresses) are left out"
)
_CHAIN_FIELDS = {
    "mlist": _LIST,
    "msg": "the message's `Message-ID` header (never the message itself)",
    "msgdata": _METADATA,
    "chain": "the name of the chain that took the decision, e.g. `hold`",
}
_MEMBER_EMAIL = (
    "the member's email address (for a user's membership, the address it uses), read when "
    "the event fired: still there when the member is gone"
)
_ROLE = "the member's role: `member`, `owner`, `moderator` or `nonmember`"

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
            "email": _MEMBER_EMAIL,
            "role": _ROLE,
        },
    ),
    "UnsubscriptionEvent": EventSpec(
        "mailman.interfaces.member",
        "A member is leaving a mailing list; fired just before the member is deleted, so the "
        "`member_id` can no longer be looked up once the change is committed.",
        {"mlist": _LIST, "member": _MEMBER, "email": _MEMBER_EMAIL, "role": _ROLE},
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
        "An address was verified, or marked unverified again (`verified_on` says which).",
        {
            "address": "the address's `email`",
            "verified_on": "when the address was verified, ISO 8601 in UTC; `null` when it "
            "was marked unverified",
        },
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
        "A posted message was held for moderation; REST "
        "`/3.1/lists/{list_id}/held/{request_id}` shows it.",
        {
            **_CHAIN_FIELDS,
            "request_id": "the held message's request id, as REST's `request_id`; "
            "`HeldMessageDecidedEvent` names the same id",
        },
    ),
    "RejectEvent": EventSpec(
        "mailman.interfaces.chain",
        "A posted message was rejected and bounced to its sender.",
        _CHAIN_FIELDS,
    ),
    "RunnerCrashEvent": EventSpec(
        "mailman.interfaces.runner",
        "A runner failed on a message; Mailman moves the message to the shunt queue. Mailman "
        "rolls back the runner's transaction, so this event is recorded in a transaction of "
        "its own, after that rollback.",
        {
            "runner": "the runner's name, e.g. `in`",
            "mailing_list": _LIST,
            "message": "the message's `Message-ID` header",
            "metadata": "the message metadata, as `msgdata` of the chain events (without "
            "`recipients`)",
            "error": "the exception's class name (its text is never sent)",
        },
    ),
}

KNOWN_EVENTS: MappingProxyType[str, EventSpec] = MappingProxyType(_MAILMAN_EVENTS)
"""Event class name -> `EventSpec`, for every event class of Mailman 3.3.10."""


_CHANGES_MODULE = "mailman_webhooks.change_events"
_MEMBER_ID = "the member's `member_id` (REST 3.1 hex form)"
_REQUEST_KIND = "`subscription` (to join) or `unsubscription` (to leave)"
_REQUEST_TOKEN = (
    "the request's token, as in REST `/3.1/lists/{list_id}/requests/{token}`; a secret: "
    "`null` unless the endpoint is configured to receive secrets"
)
_USER_ID = "the user's `user_id` (REST 3.1 hex form)"

_CHANGE_EVENTS = {
    "ListSettingsChangedEvent": EventSpec(
        _CHANGES_MODULE,
        "Settings of a mailing list changed (REST `PATCH /3.1/lists/{list_id}/config`, or "
        "any other way). Counters Mailman moves as mail flows (`post_id`, `volume`, "
        "`last_post_at`, ...) are not settings; nor is what a list gets when it is created.",
        {
            "mlist": _LIST,
            "changed": "the names of the settings that changed, sorted, as REST's list "
            "configuration names them (e.g. `display_name`, `acceptable_aliases`, "
            "`header_matches`, `archivers`); their values are not sent: read them from REST",
        },
    ),
    "MemberChangedEvent": EventSpec(
        _CHANGES_MODULE,
        "A membership changed: its moderation action, its address, or its delivery "
        "preferences (a new member is `SubscriptionEvent`, a removed one "
        "`UnsubscriptionEvent`; bounce counters are not changes).",
        {
            "mlist": _LIST,
            "member": _MEMBER_ID,
            "email": _MEMBER_EMAIL,
            "role": _ROLE,
            "changed": "what changed, sorted, by REST's names: `moderation_action`, "
            "`address`, `user`, `role`, `delivery_mode`, `delivery_status`, "
            "`preferred_language`, `receive_list_copy`, `receive_own_postings`, "
            "`acknowledge_posts`, `hide_address`",
        },
    ),
    "MemberDisabledByBouncesEvent": EventSpec(
        _CHANGES_MODULE,
        "Bounce processing stopped delivery to a member: its `delivery_status` became "
        "`by_bounces`.",
        {
            "mlist": _LIST,
            "member": _MEMBER_ID,
            "email": _MEMBER_EMAIL,
            "role": _ROLE,
            "bounce_score": "the member's bounce score at that moment",
        },
    ),
    "SubscriptionRequestApprovedEvent": EventSpec(
        _CHANGES_MODULE,
        "A moderator approved a request that waited for them, to join or to leave the list; "
        "`SubscriptionEvent` or `UnsubscriptionEvent` comes with it.",
        {
            "mlist": _LIST,
            "email": "the address the request was for",
            "request": _REQUEST_KIND,
            "token": _REQUEST_TOKEN,
        },
    ),
    "SubscriptionRequestRejectedEvent": EventSpec(
        _CHANGES_MODULE,
        "A moderator rejected or discarded a request that waited for them (Mailman does not "
        "record which of the two). A request that expired is not announced.",
        {
            "mlist": _LIST,
            "email": "the address the request was for",
            "request": _REQUEST_KIND,
            "token": _REQUEST_TOKEN,
        },
    ),
    "HeldMessageDecidedEvent": EventSpec(
        _CHANGES_MODULE,
        "A held message left the moderation queue: a moderator accepted, rejected or "
        "discarded it (Mailman does not record which; deferring it leaves it held). Not "
        "sent for the held messages of a list being deleted.",
        {
            "mlist": _LIST,
            "request_id": "the request id `HoldEvent` gave for the message",
            "message_id": "the held message's `Message-ID` header",
        },
    ),
    "BanAddedEvent": EventSpec(
        _CHANGES_MODULE,
        "An address, or a pattern of addresses, was banned from a list or from the site.",
        {
            "mlist": "the list's `list_id`, or `null` for a ban on the whole site",
            "email": "the banned address, or a regular expression when it starts with `^`",
        },
    ),
    "BanRemovedEvent": EventSpec(
        _CHANGES_MODULE,
        "A ban was lifted.",
        {
            "mlist": "the list's `list_id`, or `null` for a ban on the whole site",
            "email": "the address or pattern that was banned",
        },
    ),
    "UserCreatedEvent": EventSpec(
        _CHANGES_MODULE,
        "A user was created.",
        {"user": _USER_ID},
    ),
    "UserDeletedEvent": EventSpec(
        _CHANGES_MODULE,
        "A user was deleted; its addresses and memberships went with it, each announced by "
        "its own event.",
        {"user": _USER_ID},
    ),
    "AddressCreatedEvent": EventSpec(
        _CHANGES_MODULE,
        "An email address became known to Mailman (registered by a user, subscribed, or "
        "recorded when a non-member posted).",
        {
            "address": "the address's `email`",
            "user": "the `user_id` of the user it is linked to when the change committed, "
            "or `null`",
        },
    ),
    "AddressDeletedEvent": EventSpec(
        _CHANGES_MODULE,
        "An email address was deleted; its memberships went with it, each announced by "
        "`UnsubscriptionEvent`.",
        {"address": "the deleted address's `email`"},
    ),
}

CHANGE_EVENTS: MappingProxyType[str, EventSpec] = MappingProxyType(_CHANGE_EVENTS)
"""Event class name -> `EventSpec`, for the events this plugin derives from Mailman's
changes (`mailman_webhooks.model_changes`)."""


_DELIVERY_MODULE = "mailman_webhooks.delivery_events"
_ENDPOINT = "the name of the endpoint, as in the `[endpoint.NAME]` section and in REST"

_DELIVERY_EVENTS = {
    "WebhookEndpointDisabledEvent": EventSpec(
        _DELIVERY_MODULE,
        "An endpoint answered `410 Gone` and is disabled: nothing is sent to it until an "
        "administrator enables it again. Sent to the other endpoints only.",
        {
            "endpoint": _ENDPOINT,
            "reason": "why it was disabled, e.g. `HTTP 410 Gone`",
        },
    ),
    "WebhookDeliveryFailedEvent": EventSpec(
        _DELIVERY_MODULE,
        "The delivery of an event to an endpoint failed for good: the endpoint gave a final "
        "answer (`4xx`, `410 Gone`), or the retry period ran out. Sent to the other "
        "endpoints only; not for a failed delivery of this event or of "
        "`WebhookEndpointDisabledEvent`, nor for the deliveries that waited for a disabled "
        "or removed endpoint until their retry period ran out.",
        {
            "endpoint": _ENDPOINT,
            "delivery": "the delivery's `id`, as in REST "
            "`/3.1/plugins/webhooks/deliveries/{id}` (which can redeliver it)",
            "event_id": "the failed event's `id` (its `webhook-id`)",
            "event_name": "the failed event's `name`, e.g. `SubscriptionEvent`",
            "sequence": "the failed event's `sequence`, e.g. to read it from the catch-up feed",
            "attempts": "how many attempts were made",
            "status_code": "the HTTP status of the last answer, or `null` when none came (a "
            "timeout, a refused connection) or none was tried",
            "error": "what went wrong last, e.g. `HTTP 400 Bad Request` or `retry period over`"
            "; the receiver is named by its origin only, never its path or api_key",
        },
    ),
}

DELIVERY_EVENTS: MappingProxyType[str, EventSpec] = MappingProxyType(_DELIVERY_EVENTS)
"""Event class name -> `EventSpec`, for the events the delivery runner fires about delivery
itself (`mailman_webhooks.delivery_events`)."""


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
    "PGPListSettingsChangedEvent": EventSpec(
        _PGP_EVENTS_MODULE,
        "Settings of a PGP list changed (REST `PATCH /3.1/plugins/pgp/lists/{list_id}`): its "
        "policy actions, its switches, or who may certify its key.",
        {
            "mlist": "the `list_id` of the PGP list",
            "changed": "the names of the settings that took a new value, sorted, as REST "
            "names them (e.g. `unsigned_action`, `protect_headers`, `key_signers`); their "
            "values are not sent: read them from REST `/3.1/plugins/pgp/lists/{list_id}`",
        },
    ),
}

PLUGIN_EVENTS: MappingProxyType[str, EventSpec] = MappingProxyType(_PGP_PLUGIN_EVENTS)
"""Event class name -> `EventSpec`, for the PGP plugin's events (named, never imported)."""
