# Test that docs/webhooks-consumer.md matches what the plugin really sends and verifies.
#
# The guide's event section is generated from real Mailman operations: run
# scripts/webhooks-consumer-docs (WEBHOOKS_WRITE_DOCS=1) after changing events or rules.
# The section of the PGP plugin's events is generated the same way, with these helpers, by
# tests/test_pgp_webhook_events.py (where both plugins may be imported):
# scripts/webhooks-consumer-docs tests/test_pgp_webhook_events.py regenerates both.

import base64
import json
import os
import re
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from mailman.interfaces.listmanager import ListAlreadyExistsError
from standardwebhooks.webhooks import Webhook

from mailman_webhooks.model import WebhookEvent
from mailman_webhooks.retry import Outcome
from mailman_webhooks.serialization import CHANGE_EVENTS, KNOWN_EVENTS, EventSpec
from mailman_webhooks.serialize.catalog import DELIVERY_EVENTS
from mailman_webhooks.signing import signature
from mailman_webhooks.tests import change_scenario, scenario
from mailman_webhooks.tests.receiver import Receiver

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks-consumer.md"
BEGIN = "<!-- BEGIN GENERATED EVENTS: scripts/webhooks-consumer-docs -->"
END = "<!-- END GENERATED EVENTS -->"
CHANGES_BEGIN = "<!-- BEGIN GENERATED CHANGE EVENTS: scripts/webhooks-consumer-docs -->"
CHANGES_END = "<!-- END GENERATED CHANGE EVENTS -->"
DELIVERY_BEGIN = "<!-- BEGIN GENERATED DELIVERY EVENTS: scripts/webhooks-consumer-docs -->"
DELIVERY_END = "<!-- END GENERATED DELIVERY EVENTS -->"
EXAMPLE_TIME = datetime(2026, 1, 15, 9, 30)
SECRET = "whsec_" + base64.b64encode(b"an example secret, 32 bytes long").decode()


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _events_section(text: str, begin: str = BEGIN, end: str = END) -> str:
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[start:stop]


def _write_events_section(rendered: str, begin: str = BEGIN, end: str = END) -> None:
    text = _doc()
    start, stop = text.index(begin) + len(begin), text.index(end)
    DOC.write_text(text[:start] + rendered + text[stop:], encoding="utf-8")


def _parse_events(section: str) -> dict[str, tuple[dict[str, str], dict]]:
    """Event name -> (fields table, example envelope), as the guide shows them."""
    parsed = {}
    for block in re.split(r"^### ", section, flags=re.M)[1:]:
        name = block.split("\n", 1)[0].strip()
        fields = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", block, flags=re.M))
        (example,) = re.findall(r"^```json\n(.*?)^```$", block, flags=re.M | re.S)
        parsed[name] = (fields, json.loads(example))
    return parsed


def _python_block(text: str, heading: str) -> str:
    section = text[text.index(heading) :]
    return _found(r"^```python\n(.*?)^```$", section, flags=re.M | re.S)


def _found(pattern: str, text: str, flags: int = 0) -> str:
    """The first group of ``pattern``'s first match in ``text``; the guide must have one."""
    match = re.search(pattern, text, flags)
    assert match is not None, pattern
    return match.group(1)


def _shape(value):
    """Keys and JSON types, without the values that differ from run to run."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(_shape(item), sort_keys=True) for item in value})
    return type(value).__name__


def _envelopes(captured) -> dict[str, dict]:
    """The body the delivery runner sends for the first event of each name."""
    envelopes: dict[str, dict] = {}
    for sequence, entry in enumerate(captured, start=1):
        row = WebhookEvent(entry.name, EXAMPLE_TIME + timedelta(seconds=sequence), entry.plain)
        row.sequence = sequence
        row.id = uuid.uuid5(uuid.NAMESPACE_URL, f"example:{sequence}")
        envelopes.setdefault(entry.name, row.body(include_secrets=False))
    return envelopes


def _render(envelopes: dict[str, dict], events: Mapping[str, EventSpec] = KNOWN_EVENTS) -> str:
    parts = ["\n"]
    for name, spec in events.items():
        parts.append(f"### {name}\n\n{spec.description}\n\n| field | value |\n|---|---|\n")
        parts.extend(f"| `{field}` | {text} |\n" for field, text in spec.fields.items())
        example = json.dumps(envelopes[name], indent=2, ensure_ascii=False)
        parts.append(f"\n```json\n{example}\n```\n\n")
    return "".join(parts)


def test_every_known_event_is_documented_with_its_fields():
    documented = _parse_events(_events_section(_doc()))
    assert list(documented) == list(KNOWN_EVENTS)
    for name, (fields, example) in documented.items():
        assert fields == KNOWN_EVENTS[name].fields, name
        assert example["name"] == name
        assert list(example["event"]) == list(fields), name


def test_documented_examples_are_what_real_operations_produce(mailman):
    envelopes = {
        name: envelope for name, envelope in _envelopes(scenario.every_event()).items()
        if name in KNOWN_EVENTS
    }
    assert set(envelopes) == set(KNOWN_EVENTS)
    if os.environ.get("WEBHOOKS_WRITE_DOCS"):
        _write_events_section(_render(envelopes))
    documented = _parse_events(_events_section(_doc()))
    for name, envelope in envelopes.items():
        assert _shape(documented[name][1]) == _shape(envelope), name
        assert "secret plans" not in json.dumps(envelope)


def test_every_change_event_is_documented_with_its_fields():
    documented = _parse_events(_events_section(_doc(), CHANGES_BEGIN, CHANGES_END))
    assert list(documented) == list(CHANGE_EVENTS)
    for name, (fields, example) in documented.items():
        assert fields == CHANGE_EVENTS[name].fields, name
        assert example["name"] == name
        assert list(example["event"]) == list(fields), name


def test_documented_change_examples_are_what_real_operations_produce(mailman):
    envelopes = {
        name: envelope for name, envelope in _envelopes(change_scenario.every_change()).items()
        if name in CHANGE_EVENTS
    }
    assert set(envelopes) == set(CHANGE_EVENTS)
    if os.environ.get("WEBHOOKS_WRITE_DOCS"):
        _write_events_section(_render(envelopes, CHANGE_EVENTS), CHANGES_BEGIN, CHANGES_END)
    documented = _parse_events(_events_section(_doc(), CHANGES_BEGIN, CHANGES_END))
    for name, envelope in envelopes.items():
        assert _shape(documented[name][1]) == _shape(envelope), name


def test_every_delivery_event_is_documented_with_its_fields():
    documented = _parse_events(_events_section(_doc(), DELIVERY_BEGIN, DELIVERY_END))
    assert list(documented) == list(DELIVERY_EVENTS)
    for name, (fields, example) in documented.items():
        assert fields == DELIVERY_EVENTS[name].fields, name
        assert example["name"] == name
        assert list(example["event"]) == list(fields), name


def test_documented_delivery_examples_are_what_real_operations_produce(
    configure, receiver, runner
):
    # An endpoint answering 410 Gone; another one hears about it, as the real runner tells.
    audit = Receiver()
    try:
        configure(
            "[delivery]\ninitial_backoff: 0.02s\nmax_backoff: 0.1s\nbatch_size: 10\n"
            "lease: 30s\n"
            f"[endpoint.crm]\nurl: {receiver.url}\nevents: SubscriptionEvent\ntimeout: 2s\n"
            f"[endpoint.audit]\nurl: {audit.url}\nevents: Webhook.*\ntimeout: 2s\n"
        )
        receiver.script = lambda number: (410, {}, 0.0)
        scenario.subscribe_directly(scenario.make_list("ant@example.com"), "anne@example.com")
        deadline = time.monotonic() + 10
        while len(audit.requests) < len(DELIVERY_EVENTS) and time.monotonic() < deadline:
            runner.process_batch()
        received = [SimpleNamespace(name=r.json["name"], plain=r.json["event"])
                    for r in audit.requests]
    finally:
        audit.stop()
    envelopes = _envelopes(received)
    assert set(envelopes) == set(DELIVERY_EVENTS)
    if os.environ.get("WEBHOOKS_WRITE_DOCS"):
        _write_events_section(_render(envelopes, DELIVERY_EVENTS), DELIVERY_BEGIN, DELIVERY_END)
    documented = _parse_events(_events_section(_doc(), DELIVERY_BEGIN, DELIVERY_END))
    for name, envelope in envelopes.items():
        assert _shape(documented[name][1]) == _shape(envelope), name


def test_documented_envelope_has_the_keys_sent():
    row = WebhookEvent("ListCreatedEvent", EXAMPLE_TIME, {"mailing_list": "ant.example.com"})
    row.sequence = 1
    sent = row.body(include_secrets=False)
    documented = re.findall(r"^\| `(\w+)` \| ", _doc()[: _doc().index(BEGIN)], flags=re.M)
    assert list(sent) == ["id", "name", "timestamp", "sequence", "event"]
    assert set(sent) <= set(documented)


def test_creating_event_can_come_without_created_event(mailman):
    mlist = scenario.make_list("ant@example.com")
    with scenario.capture() as captured:
        with pytest.raises(ListAlreadyExistsError):
            scenario.make_list("ant@example.com")
    assert [(c.name, c.plain) for c in captured] == [
        ("ListCreatingEvent", {"fqdn_listname": mlist.posting_address})
    ]
    assert "`ListCreatingEvent` fires before Mailman checks" in _doc()


# --- What the guide says about answers and retries -------------------------------------


@pytest.mark.parametrize(
    "status, verdict",
    [
        (200, "delivered"),
        (204, "delivered"),
        (None, "retry"),
        (408, "retry"),
        (425, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (410, "gone"),
        (400, "final"),
        (401, "final"),
        (301, "final"),
    ],
)
def test_answers_mean_what_the_guide_says(status, verdict):
    assert Outcome(status, 0.1).verdict.name == verdict


def test_defaults_are_the_ones_the_guide_names():
    schema = (Path(__file__).resolve().parents[1] / "schema.cfg").read_text()
    defaults = dict(re.findall(r"^(\w+): *(\S*)$", schema, flags=re.M))
    assert defaults["timeout"] == "10s"
    assert defaults["initial_backoff"] == "5s"
    assert defaults["max_backoff"] == "1h"
    assert defaults["retry_period"] == "3d"
    answering = _doc()[_doc().index("## Answering") : _doc().index("## Duplicates")]
    for text in ("10 s by default", "5 s doubling up to 1 h", "3 days by default"):
        assert text in answering


# --- The verification example of the guide ------------------------------------------------


@pytest.fixture
def guide():
    """The guide's Python example, run as a consumer would paste it."""
    namespace: dict = {}
    exec(_python_block(_doc(), "## Checking a request"), namespace)
    return namespace


def _signed_by_plugin(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    message_id = str(uuid.uuid4())
    return {
        "Webhook-Id": message_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(key, message_id, timestamp, body),
    }


BODY = json.dumps({"id": "x", "name": "ListCreatedEvent", "event": {"mailing_list": "\u00e4"}},
                  ensure_ascii=False).encode()


def test_guide_accepts_what_the_plugin_signs(guide):
    headers = _signed_by_plugin(BODY, int(time.time()))
    assert guide["verify"](SECRET, headers, BODY) is None


def test_guide_and_reference_library_agree(guide):
    reference = Webhook(SECRET)
    now = datetime.now()
    message_id = "msg_1"
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": reference.sign(message_id, now, BODY.decode()),
    }
    assert guide["verify"](SECRET, headers, BODY) is None
    plugin_headers = _signed_by_plugin(BODY, int(time.time()))
    assert reference.verify(BODY, plugin_headers) == json.loads(BODY)


def test_guide_accepts_one_valid_signature_among_several(guide):
    headers = _signed_by_plugin(BODY, int(time.time()))
    headers["Webhook-Signature"] = "v1,AAAA v2,zzz " + headers["Webhook-Signature"]
    assert guide["verify"](SECRET, headers, BODY) is None


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "id", "old", "future", "missing", "garbage", "not-v1"],
)
def test_guide_rejects_bad_requests(guide, tamper):
    body = BODY
    secret = SECRET
    timestamp = int(time.time())
    if tamper == "old":
        timestamp -= 10 * 60
    if tamper == "future":
        timestamp += 10 * 60
    headers = _signed_by_plugin(BODY, timestamp)
    if tamper == "body":
        body = BODY.replace(b"ListCreated", b"ListDeleted")
    if tamper == "secret":
        secret = "whsec_" + base64.b64encode(b"another secret of 32 bytes long!").decode()
    if tamper == "id":
        headers["Webhook-Id"] = "someone-else"
    if tamper == "missing":
        del headers["Webhook-Signature"]
    if tamper == "garbage":
        headers["Webhook-Signature"] = "v1,\u00e9t\u00e9 nonsense"
    if tamper == "not-v1":
        headers["Webhook-Signature"] = headers["Webhook-Signature"].replace("v1,", "v2,")
    with pytest.raises(guide["InvalidWebhook"]):
        guide["verify"](secret, headers, body)


def _example_request(text: str) -> tuple[str, dict[str, str], bytes, dict]:
    """The guide's example request: its secret, headers, body, and the pretty envelope."""
    section = text[text.index("## What a request looks like") :]
    secret = _found(r"`(whsec_[A-Za-z0-9+/=]+)`", section)
    raw = _found(r"^```http\n(.*?)^```$", section, flags=re.M | re.S)
    head, body = raw.split("\n\n", 1)
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    pretty = _found(r"^```json\n(.*?)^```$", section, flags=re.M | re.S)
    return secret, headers, body.rstrip("\n").encode(), json.loads(pretty)


def test_example_request_is_signed_as_the_plugin_signs(guide):
    secret, headers, body, pretty = _example_request(_doc())
    timestamp = int(headers["webhook-timestamp"])
    key = base64.b64decode(secret.removeprefix("whsec_"))
    assert headers["webhook-signature"] == signature(key, headers["webhook-id"], timestamp, body)
    assert guide["verify"](secret, headers, body, now=timestamp + 60) is None
    envelope = json.loads(body)
    assert envelope == pretty
    assert envelope["id"] == headers["webhook-id"]
    moment = datetime.fromisoformat(envelope["timestamp"])
    assert int(moment.timestamp()) == timestamp


def test_guide_checks_the_api_key(guide):
    guide["check_api_key"]({"key": "s3cret"}, "s3cret")
    for query in ({"key": "wrong"}, {}, {"key": "s3cret\u00e9"}):
        with pytest.raises(guide["InvalidWebhook"]):
            guide["check_api_key"](query, "s3cret")
