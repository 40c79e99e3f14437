# Test that the plugin's configuration file is read into typed settings with the documented
# defaults, and that each kind of mistake is refused with a message naming where it is.

from __future__ import annotations

from datetime import timedelta

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
        ("[endpoint.s]\nurl: http://x\nsecret: whsec_c2hvcnQ=\n", "at least 16 bytes"),
        ("[endpoint.t]\nurl: http://x\ntimeout: 10\n", "[endpoint.t]: timeout is not a duration"),
        ("[endpoint.b]\nurl: http://x\ninclude_secrets: maybe\n", "[endpoint.b]: include_secrets"),
        ("[delivery]\nretry_period: soon\n", "[delivery]: retry_period is not a duration"),
        ("[delivery]\ninitial_backoff: 2h\n", "max_backoff is shorter than initial_backoff"),
        ("[delivery]\nbatch_size: none\n", "batch_size must be a whole number"),
        ("[endpoint.slow]\nurl: http://x\ntimeout: 1m\n[delivery]\nlease: 1m\n",
         "lease must be longer than batch_size"),
        ("[webhooks]\nurl: http://x\n", "does not have a webhooks section"),
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
