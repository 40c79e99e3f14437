# Test that the plugin's configuration file is read into typed settings with the documented
# defaults, and that each kind of mistake is refused with a message naming where it is.

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import certifi
import pytest

from mailman_webhooks.errors import ConfigurationError, WebhooksError
from mailman_webhooks.settings import WebhooksConfiguration

GOOD = """
[endpoint.ui]
url: https://ui.example.com/hooks
api_key: abc
events: List.*|Domain.*
secret: whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
timeout: 3s
include_secrets: yes
"""


def loaded(text: str) -> WebhooksConfiguration:
    configuration = WebhooksConfiguration()
    configuration.push("test", text)
    return configuration


def test_defaults_without_a_file():
    settings = WebhooksConfiguration().settings
    assert settings.endpoints == {}
    assert settings.delivery.retry_period == timedelta(days=3)
    assert settings.delivery.initial_backoff == timedelta(seconds=5)
    assert settings.delivery.max_backoff == timedelta(hours=1)


def test_endpoint_values_are_typed():
    endpoint = loaded(GOOD).settings.endpoints["ui"]
    assert endpoint.url == "https://ui.example.com/hooks"
    assert endpoint.api_key == "abc"
    assert endpoint.secret == b"0123456789abcdef0123456789abcdef"
    assert endpoint.timeout == 3.0
    assert endpoint.include_secrets is True
    assert endpoint.wants("ListCreatedEvent")
    assert not endpoint.wants("SubscriptionEvent")


def test_endpoint_defaults():
    endpoint = loaded("[endpoint.min]\nurl: http://127.0.0.1/x\n").settings.endpoints["min"]
    assert endpoint.wants("AnyEventAtAll")
    assert endpoint.secret is None
    assert endpoint.api_key == ""
    assert endpoint.include_secrets is False
    assert endpoint.timeout == 10.0


def test_secret_is_not_in_repr():
    endpoint = loaded(GOOD).settings.endpoints["ui"]
    assert "MDEy" not in repr(endpoint)
    assert "0123456789" not in repr(endpoint)


def test_durations_in_mailman_syntax():
    delivery = loaded("[delivery]\nretry_period: 1d12h\ninitial_backoff: 0.5s\n").settings.delivery
    assert delivery.retry_period == timedelta(days=1, hours=12)
    assert delivery.initial_backoff == timedelta(milliseconds=500)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[endpoint.bad]\nurl: http://x\nevents: (unclosed\n",
         "[endpoint.bad]: events is not a valid regular expression"),
        ("[endpoint.nourl]\nevents: .*\n", "[endpoint.nourl]: url is missing"),
        ("[endpoint.ftp]\nurl: ftp://x/\n", "[endpoint.ftp]: url must be an http"),
        ("[endpoint.typo]\nurl: http://x\nenabled: yes\n",
         "[endpoint.typo]: unknown key 'enabled'"),
        ("[endpoint.s]\nurl: http://x\nsecret: abc\n", "[endpoint.s]: secret must start with"),
        ("[endpoint.s]\nurl: http://x\nsecret: whsec_!!!\n", "[endpoint.s]: secret is not"),
        ("[endpoint.s]\nurl: http://x\nsecret: whsec_c2hvcnQ=\n", "at least 24 bytes"),
        ("[endpoint.t]\nurl: http://x\ntimeout: 10\n", "[endpoint.t]: timeout is not a duration"),
        ("[endpoint.b]\nurl: http://x\ninclude_secrets: maybe\n", "[endpoint.b]: include_secrets"),
        ("[delivery]\nretry_period: soon\n", "[delivery]: retry_period is not a duration"),
        ("[delivery]\ninitial_backoff: 2h\n", "max_backoff is shorter than initial_backoff"),
        ("[delivery]\nbatch_size: none\n", "batch_size must be a whole number"),
        ("[endpoint.slow]\nurl: http://x\ntimeout: 1m\n[delivery]\nlease: 1m\n",
         "lease must be longer than batch_size"),
        ("[webhooks]\nurl: http://x\n", "[webhooks]: unknown section"),
    ],
    ids=[
        "bad-regex", "missing-url", "not-http", "unknown-key", "secret-prefix", "secret-base64",
        "secret-short", "timeout-unit", "bad-boolean", "bad-duration", "backoff-order",
        "batch-size", "lease-too-short", "unknown-section",
    ],
)
def test_mistakes_are_refused_with_their_place(text, expected):
    with pytest.raises(ConfigurationError) as raised:
        loaded(text)
    assert expected in str(raised.value)
    assert isinstance(raised.value, WebhooksError)


def test_refused_overlay_leaves_previous_settings_in_force():
    configuration = loaded(GOOD)
    with pytest.raises(ConfigurationError):
        configuration.push("broken", "[endpoint.ui]\nevents: (\n")
    assert configuration.settings.endpoints["ui"].wants("ListCreatedEvent")
    configuration.push("fine", "[endpoint.ui]\nevents: Domain.*\n")
    assert not configuration.settings.endpoints["ui"].wants("ListCreatedEvent")


def test_pop_restores_the_layer_below():
    configuration = loaded(GOOD)
    configuration.push("more", "[endpoint.extra]\nurl: http://127.0.0.1/\n")
    assert set(configuration.settings.endpoints) == {"ui", "extra"}
    configuration.pop("more")
    assert set(configuration.settings.endpoints) == {"ui"}


def test_unknown_key_in_delivery_is_refused():
    with pytest.raises(ConfigurationError, match=r"\[delivery\]: unknown key 'retries'"):
        loaded("[delivery]\nretries: 5\n")


def test_unknown_key_in_an_endpoint_defined_earlier_is_refused():
    configuration = loaded(GOOD)
    with pytest.raises(ConfigurationError, match="ui"):
        configuration.push("typo", "[endpoint.ui]\nurls: http://x\n")


def test_text_that_is_not_ini_is_refused():
    with pytest.raises(ConfigurationError, match="not a configuration file"):
        loaded("url = http://x\n")


def whsec(key: bytes) -> str:
    return "whsec_" + base64.b64encode(key).decode("ascii")


def test_secret_of_23_bytes_is_refused_and_24_accepted():
    # The Standard Webhooks specification asks for 24 to 64 bytes.
    with pytest.raises(ConfigurationError, match=r"\[endpoint.s\]: secret must hold at least 24"):
        loaded(f"[endpoint.s]\nurl: http://x\nsecret: {whsec(bytes(23))}\n")
    endpoint = loaded(f"[endpoint.s]\nurl: http://x\nsecret: {whsec(bytes(24))}\n")
    assert endpoint.settings.endpoints["s"].secret == bytes(24)


def test_two_secrets_during_a_rotation_both_sign():
    old, new = b"o" * 24, b"n" * 32
    text = f"[endpoint.r]\nurl: http://x\nsecret: {whsec(new)}\nprevious_secret: {whsec(old)}\n"
    endpoint = loaded(text).settings.endpoints["r"]
    assert endpoint.signing_secrets == (new, old)
    assert "b'ooo" not in repr(endpoint)
    assert loaded(GOOD).settings.endpoints["ui"].signing_secrets == (
        b"0123456789abcdef0123456789abcdef",
    )
    assert loaded("[endpoint.u]\nurl: http://x\n").settings.endpoints["u"].signing_secrets == ()


@pytest.mark.parametrize(
    ("secrets", "expected"),
    [
        (f"previous_secret: {whsec(bytes(32))}\n", "previous_secret is set without secret"),
        (f"secret: {whsec(bytes(32))}\nprevious_secret: {whsec(bytes(32))}\n",
         "previous_secret is the same as secret"),
        (f"secret: {whsec(bytes(32))}\nprevious_secret: {whsec(bytes(16))}\n",
         "previous_secret must hold at least 24 bytes"),
        (f"secret: {whsec(bytes(32))}\nprevious_secret: abc\n",
         "previous_secret must start with whsec_"),
    ],
    ids=["previous-alone", "same-twice", "previous-short", "previous-prefix"],
)
def test_rotation_mistakes_are_refused(secrets, expected):
    with pytest.raises(ConfigurationError) as raised:
        loaded("[endpoint.r]\nurl: http://x\n" + secrets)
    assert str(raised.value).startswith("[endpoint.r]: ")
    assert expected in str(raised.value)


def test_ca_bundle_is_a_readable_pem_file():
    bundle = certifi.where()
    text = f"[endpoint.tls]\nurl: https://hooks.example.com/\nca_bundle: {bundle}\n"
    assert loaded(text).settings.endpoints["tls"].ca_bundle == Path(bundle)
    assert loaded(GOOD).settings.endpoints["ui"].ca_bundle is None


@pytest.mark.parametrize(
    ("value", "url", "expected"),
    [
        ("/nonexistent/ca.pem", "https://x/", "cannot read ca_bundle /nonexistent/ca.pem: No"),
        ("NOT-PEM", "https://x/", "holds no PEM certificate"),
        ("ca.pem", "https://x/", "ca_bundle must be an absolute path: 'ca.pem'"),
        ("CERTIFI", "http://x/", "ca_bundle is only for https:// URLs"),
    ],
    ids=["missing-file", "not-pem", "relative", "plain-http"],
)
def test_ca_bundle_mistakes_stop_start_up(tmp_path, value, url, expected):
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n")
    value = value.replace("NOT-PEM", str(not_pem)).replace("CERTIFI", certifi.where())
    with pytest.raises(ConfigurationError) as raised:
        loaded(f"[endpoint.tls]\nurl: {url}\nca_bundle: {value}\n")
    assert str(raised.value).startswith("[endpoint.tls]: ")
    assert expected in str(raised.value)


def test_certificate_checks_cannot_be_switched_off():
    # No key of an endpoint turns verification off; the usual spellings are unknown keys.
    for key in ("verify", "verify_ssl", "insecure", "tls_verify"):
        with pytest.raises(ConfigurationError, match=f"unknown key '{key}'"):
            loaded(f"[endpoint.tls]\nurl: https://x/\n{key}: no\n")


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("endpoint.master", "[endpoint.master]: master is reserved"),
        ("endpoint", "[endpoint]: unknown section"),
        ("endpoints.ui", "[endpoints.ui]: unknown section"),
        ("Delivery", "[Delivery]: unknown section"),
        ("endpoint.a.b", "[endpoint.a.b]: endpoint names may hold only"),
        ("endpoint.", "[endpoint.]: endpoint names may hold only"),
        ("endpoint.caf\u00e9", "endpoint names may hold only"),
    ],
    ids=["reserved", "no-name", "misspelt-kind", "capital", "dotted", "empty-name", "non-ascii"],
)
def test_misspelt_or_reserved_sections_stop_start_up(section, expected):
    with pytest.raises(ConfigurationError) as raised:
        loaded(f"[{section}]\nurl: http://127.0.0.1/\n")
    assert expected in str(raised.value)


def test_misspelt_section_beside_good_ones_is_refused_and_nothing_changes():
    configuration = loaded(GOOD)
    with pytest.raises(ConfigurationError, match="endpoint.master"):
        configuration.push("more", "[endpoint.b]\nurl: http://127.0.0.1/\n"
                           "[endpoint.master]\nurl: http://127.0.0.1/\n")
    assert set(configuration.settings.endpoints) == {"ui"}
