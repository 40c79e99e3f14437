# Test that signatures follow the Standard Webhooks scheme: v1, base64 HMAC-SHA256 of
# "id.timestamp.body" keyed with the decoded secret, checked by a separate implementation.

from __future__ import annotations

import base64
import hashlib
import hmac

from mailman_webhooks.signing import signature, signature_headers

KEY = bytes(range(32))


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
    headers = signature_headers(KEY, "e-1", 42, b"[]")
    assert headers == {
        "webhook-id": "e-1",
        "webhook-timestamp": "42",
        "webhook-signature": reference(KEY, "e-1", 42, b"[]"),
    }
