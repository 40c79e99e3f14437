"""The webhooks receiver: the key and the signature checked, each event stored and
signalled once, and key events shown in the list owner's event log."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from mailman_pgp_web.models import WebhookEvent
from mailman_pgp_web.signals import event_signal, webhook_received

pytestmark = pytest.mark.django_db

URL = "/pgp/webhooks/"


def envelope(name: str = "KeySetEvent", list_id: str = "crypto.example.com") -> dict:
    return {"id": str(uuid.uuid4()), "name": name, "timestamp": "2026-01-15T09:30:01Z",
            "sequence": 7, "event": {"mlist": list_id, "email": "bart@example.com",
                                     "fingerprint": "A" * 40}}


def post(client, body: dict, *, secret: str | None = None, key: str | None = None,
         msg_id: str | None = None):
    data = json.dumps(body, separators=(",", ":"))
    msg_id = msg_id or body["id"]
    now = datetime.now(UTC)
    signature = Webhook(secret or settings.MAILMAN_PGP_WEB["webhook_secret"]).sign(
        msg_id, now, data)
    return client.post(
        f"{URL}?key={key or settings.MAILMAN_PGP_WEB['webhook_api_key']}", data=data,
        content_type="application/json",
        headers={"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
                 "webhook-signature": signature})


def test_bad_signature_is_refused_and_nothing_stored(client):
    other_secret = "whsec_" + "b3RoZXIgc2VjcmV0IG9mIDMyIGJ5dGVzIGxvbmcgISE="
    response = post(client, envelope(), secret=other_secret)
    assert response.status_code == 401
    assert "signature" in response.json()["description"]
    assert not WebhookEvent.objects.exists()


def test_missing_signature_is_refused(client):
    response = client.post(f"{URL}?key={settings.MAILMAN_PGP_WEB['webhook_api_key']}",
                           data=json.dumps(envelope()), content_type="application/json")
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_wrong_key_parameter_is_refused(client):
    response = post(client, envelope(), key="not-the-key")
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_body_id_other_than_the_signed_header_is_refused(client):
    body = envelope()
    response = post(client, body, msg_id=str(uuid.uuid4()))
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_without_a_configured_secret_every_request_is_refused(client, settings):
    settings.MAILMAN_PGP_WEB = {"webhook_api_key": "web-tests-key"}
    response = post(client, envelope(),
                    secret="whsec_dGVzdHMgb2YgdGhlIHdlYiBhcHAncyB3ZWJob29rcw==")
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_good_event_is_stored_once_and_signalled_once(client):
    received, named = [], []

    def on_any(sender, name, event, event_id, **kwargs):
        received.append((name, event_id, event["email"]))

    def on_key_set(sender, name, event_id, **kwargs):
        named.append(event_id)

    webhook_received.connect(on_any)
    event_signal("KeySetEvent").connect(on_key_set)
    other = []
    event_signal("KeyRevokedEvent").connect(other.append)
    try:
        body = envelope()
        first = post(client, body)
        again = post(client, body)
    finally:
        webhook_received.disconnect(on_any)
        event_signal("KeySetEvent").disconnect(on_key_set)
        event_signal("KeyRevokedEvent").disconnect(other.append)
    assert first.status_code == 200 and first.json() == {"id": body["id"], "duplicate": False}
    assert again.status_code == 200 and again.json() == {"id": body["id"], "duplicate": True}
    stored = WebhookEvent.objects.get()
    assert (stored.event_id, stored.name, stored.list_id) == (
        body["id"], "KeySetEvent", "crypto.example.com")
    assert stored.timestamp == datetime(2026, 1, 15, 9, 30, 1, tzinfo=UTC)
    assert received == [("KeySetEvent", body["id"], "bart@example.com")]
    assert named == [body["id"]]
    assert other == []
