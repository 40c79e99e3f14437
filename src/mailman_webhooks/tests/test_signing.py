# Test that signatures follow the Standard Webhooks scheme: v1, base64 HMAC-SHA256 of
# "id.timestamp.body" keyed with the decoded secret, checked by a separate implementation
# and by the specification's reference package (standardwebhooks), also while an endpoint
# rotates its secret and signs with two.

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from mailman_webhooks.sender import Sender
from mailman_webhooks.settings import WebhooksConfiguration
from mailman_webhooks.signing import signature, signature_headers

KEY = bytes(range(32))


def whsec(key: bytes) -> str:
    return "whsec_" + base64.b64encode(key).decode("ascii")


def reference(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    mac.update(msg_id.encode("utf-8"))
    mac.update(b".")
    mac.update(str(timestamp).encode("ascii"))
    mac.update(b".")
    mac.update(body)
    return "v1," + base64.b64encode(mac.digest()).decode("ascii")


def test_signature_matches_the_specified_construction():
    body = '{"name":"Caf\u00e9"}'.encode()
    assert signature(KEY, "msg_1", 1614265330, body) == reference(KEY, "msg_1", 1614265330, body)


def test_each_signed_part_matters():
    base = signature(KEY, "msg_1", 100, b"{}")
    assert signature(KEY, "msg_2", 100, b"{}") != base
    assert signature(KEY, "msg_1", 101, b"{}") != base
    assert signature(KEY, "msg_1", 100, b"{ }") != base
    assert signature(bytes(32), "msg_1", 100, b"{}") != base


def test_headers_carry_id_timestamp_and_signature():
    headers = signature_headers([KEY], "e-1", 42, b"[]")
    assert headers == {
        "webhook-id": "e-1",
        "webhook-timestamp": "42",
        "webhook-signature": reference(KEY, "e-1", 42, b"[]"),
    }


def test_reference_consumer_accepts_a_signature():
    body = b'{"name":"DomainCreatedEvent"}'
    headers = signature_headers([KEY], "msg_1", int(time.time()), body)
    assert Webhook(whsec(KEY)).verify(body, headers) == {"name": "DomainCreatedEvent"}
    with pytest.raises(WebhookVerificationError):
        Webhook(whsec(bytes(32))).verify(body, headers)


def test_two_secrets_give_two_space_separated_signatures():
    old, new = os.urandom(32), os.urandom(32)
    headers = signature_headers([new, old], "msg_1", 7, b"{}")
    assert headers["webhook-signature"] == (
        f"{signature(new, 'msg_1', 7, b'{}')} {signature(old, 'msg_1', 7, b'{}')}"
    )


def test_during_a_rotation_a_consumer_with_either_secret_accepts(receiver):
    # The whole path: the configuration file's two secrets, the sender's POST to a
    # real receiver, and the reference package verifying what arrived.
    old, new, other = os.urandom(24), os.urandom(32), os.urandom(32)
    configuration = WebhooksConfiguration()
    configuration.push("rotation", (
        f"[endpoint.ui]\nurl: {receiver.url}\n"
        f"secret: {whsec(new)}\nprevious_secret: {whsec(old)}\n"
    ))
    endpoint = configuration.settings.endpoints["ui"]
    sender = Sender()
    try:
        sender.send(endpoint, "msg_rotation", b'{"a":1}')
    finally:
        sender.close()
    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for key in (old, new):
        assert Webhook(whsec(key)).verify(request.body, request.headers) == {"a": 1}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(whsec(other)).verify(request.body, request.headers)
