"""The receiver of the webhooks plugin's POSTs: checked, stored once by id, signalled.

A request must carry the endpoint's ``?key=`` (``api_key``) and a valid Standard Webhooks
signature (``secret``); without both configured every request is refused. An event whose
id was stored already (the plugin delivers at least once) is answered 200 and ignored.
The answer comes as soon as the event is stored and its signals have run, so receivers
should only note what changed (a cache to forget, work to queue).
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from mailman_pgp_web.conf import pgp_web_settings
from mailman_pgp_web.models import WebhookEvent
from mailman_pgp_web.signals import event_signal, webhook_received


class InvalidEnvelope(ValueError):
    """A signed body that is not the webhooks plugin's envelope."""


def _refused(status: int, description: str) -> JsonResponse:
    return JsonResponse({"description": description}, status=status)


@csrf_exempt
@require_POST
def receive_webhook(request: HttpRequest) -> JsonResponse:
    """POST from the webhooks plugin: 200 stored or duplicate; 400, 401, 403 refused."""
    conf = pgp_web_settings()
    if not conf.webhook_secret or not conf.webhook_api_key:
        return _refused(403, "This site receives no webhooks: MAILMAN_PGP_WEB has no"
                             " webhook_secret and webhook_api_key.")
    given = request.GET.get("key", "")
    if not hmac.compare_digest(given.encode(), conf.webhook_api_key.encode()):
        return _refused(403, "Wrong or missing key parameter.")
    headers = {name: value for name, value in request.headers.items()
               if name.lower().startswith("webhook-")}
    try:
        Webhook(conf.webhook_secret).verify(request.body, headers, json_parse=False)
    except (WebhookVerificationError, ValueError) as error:
        return _refused(401, f"The signature does not verify: {error}")
    try:
        envelope = _envelope(request.body, headers)
    except InvalidEnvelope as error:
        return _refused(400, str(error))
    record, stored = _store(envelope)
    if stored:
        _announce(record)
    return JsonResponse({"id": record.event_id, "duplicate": not stored})


def _envelope(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    try:
        envelope = json.loads(body)
    except ValueError as error:
        raise InvalidEnvelope(f"The body is not JSON: {error}") from error
    if not isinstance(envelope, dict):
        raise InvalidEnvelope("The body is not a JSON object.")
    webhook_id = {name.lower(): value for name, value in headers.items()}["webhook-id"]
    if envelope.get("id") != webhook_id:
        raise InvalidEnvelope("The body's id is not the webhook-id header.")
    if not isinstance(envelope.get("name"), str) or not isinstance(envelope.get("event"), dict):
        raise InvalidEnvelope("The body has no event name or no event object.")
    return envelope


def _store(envelope: dict[str, Any]) -> tuple[WebhookEvent, bool]:
    """The stored event, and whether it was stored now (False: a repeated delivery)."""
    event = envelope["event"]
    list_id = event.get("mlist") or event.get("mailing_list") or ""
    try:
        with transaction.atomic():
            return WebhookEvent.objects.get_or_create(
                event_id=envelope["id"],
                defaults=dict(
                    name=envelope["name"],
                    list_id=list_id if isinstance(list_id, str) else "",
                    timestamp=_timestamp(envelope.get("timestamp")),
                    payload=event,
                ))
    except IntegrityError:
        # Another delivery of the same event was stored at the same moment.
        return WebhookEvent.objects.get(event_id=envelope["id"]), False


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _announce(record: WebhookEvent) -> None:
    arguments = dict(name=record.name, event=record.payload, event_id=record.event_id,
                     timestamp=record.timestamp, record=record)
    webhook_received.send(sender=WebhookEvent, **arguments)
    event_signal(record.name).send(sender=WebhookEvent, **arguments)
