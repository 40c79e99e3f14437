"""The plugin's own configuration: lazr.config schema, validation, typed settings.

`WebhooksConfiguration` wraps the stack of lazr.config overlays (schema defaults,
the administrator's file, and whatever tests push) and turns the top of the stack
into `Settings`, checking every value so that a mistake stops Mailman at start-up
with a message naming the endpoint and the problem.
"""

from __future__ import annotations

import base64
import binascii
import re
import ssl
from collections.abc import Iterable
from configparser import Error as ConfigParserError
from configparser import RawConfigParser
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.resources import files
from io import StringIO
from pathlib import Path
from textwrap import dedent
from typing import Protocol

from lazr.config import ConfigSchema, as_boolean, as_timedelta
from lazr.config.interfaces import ConfigErrors
from public import public

from mailman_webhooks.errors import ConfigurationError

SECRET_PREFIX = "whsec_"
# The Standard Webhooks specification asks for secrets of 24 to 64 bytes.
MIN_SECRET_BYTES = 24
_NAME = re.compile(r"[A-Za-z0-9_-]+")
# The schema's template section; a file that names it would change nothing.
RESERVED_NAME = "master"


@public
@dataclass(frozen=True)
class Endpoint:
    """One receiver of webhooks, from an ``[endpoint.NAME]`` section."""

    name: str
    url: str
    api_key: str
    events: re.Pattern[str]
    secret: bytes | None = field(repr=False)
    timeout: float
    include_secrets: bool
    # The secret being replaced while consumers move to ``secret``; it signs too.
    previous_secret: bytes | None = field(default=None, repr=False)
    # Certificate authorities trusted for this https:// endpoint instead of the system's.
    ca_bundle: Path | None = None

    def wants(self, event_name: str) -> bool:
        """Whether events of this class name go to this endpoint."""
        return self.events.fullmatch(event_name) is not None

    @property
    def signing_secrets(self) -> tuple[bytes, ...]:
        """The secrets each request is signed with: none, one, or two during a rotation."""
        return tuple(each for each in (self.secret, self.previous_secret) if each is not None)


@public
@dataclass(frozen=True)
class DeliverySettings:
    """The ``[delivery]`` section: retry schedule and claiming."""

    retry_period: timedelta
    initial_backoff: timedelta
    max_backoff: timedelta
    batch_size: int
    lease: timedelta
    # How many endpoints one runner sends to at the same time (its threads).
    concurrency: int = 8
    # How long finished deliveries, their attempts and events are kept.
    retention: timedelta = timedelta(days=30)


@public
@dataclass(frozen=True)
class Settings:
    """Everything the plugin reads from its configuration, checked and typed."""

    endpoints: dict[str, Endpoint]
    delivery: DeliverySettings
    # Event class name -> its endpoints: capture asks for every event Mailman fires.
    _by_event: dict[str, tuple[Endpoint, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def endpoints_for(self, event_name: str) -> tuple[Endpoint, ...]:
        """The endpoints whose ``events`` expression matches this event class name."""
        found = self._by_event.get(event_name)
        if found is None:
            found = tuple(ep for ep in self.endpoints.values() if ep.wants(event_name))
            self._by_event[event_name] = found
        return found

    def wants_any(self, event_names: Iterable[str]) -> bool:
        """Whether some endpoint wants an event of one of these class names."""
        return any(self.endpoints_for(name) for name in event_names)


class _Section(Protocol):
    """What is read of a lazr.config section (lazr.config has no type information)."""

    name: str

    def __getitem__(self, key: str) -> str: ...


def _schema() -> ConfigSchema:
    path = files("mailman_webhooks").joinpath("schema.cfg")
    return ConfigSchema(str(path))


def _duration(where: str, key: str, value: str) -> timedelta:
    try:
        result: timedelta = as_timedelta(value)
    except (ValueError, TypeError):
        raise ConfigurationError(
            f"{where}: {key} is not a duration such as 10s, 5m, 1h or 3d: {value!r}"
        ) from None
    if result <= timedelta(0):
        raise ConfigurationError(f"{where}: {key} must be longer than zero: {value!r}")
    return result


def _secret(where: str, key_name: str, value: str) -> bytes | None:
    if not value:
        return None
    if not value.startswith(SECRET_PREFIX):
        raise ConfigurationError(f"{where}: {key_name} must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(value[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            f"{where}: {key_name} is not {SECRET_PREFIX} followed by base64"
        ) from None
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"{where}: {key_name} must hold at least {MIN_SECRET_BYTES} bytes (the Standard "
            f"Webhooks minimum), not {len(key)}"
        )
    return key


def _secrets(where: str, section: _Section) -> tuple[bytes | None, bytes | None]:
    """The endpoint's ``secret`` and ``previous_secret``, checked as a pair."""
    secret = _secret(where, "secret", section["secret"].strip())
    previous = _secret(where, "previous_secret", section["previous_secret"].strip())
    if previous is not None and secret is None:
        raise ConfigurationError(
            f"{where}: previous_secret is set without secret; put the secret in force "
            "in secret"
        )
    if previous is not None and previous == secret:
        raise ConfigurationError(f"{where}: previous_secret is the same as secret")
    return secret, previous


def _ca_bundle(where: str, url: str, value: str) -> Path | None:
    """The CA bundle file, checked now so that a wrong path never waits for a delivery."""
    if not value:
        return None
    if not url.startswith("https://"):
        raise ConfigurationError(f"{where}: ca_bundle is only for https:// URLs")
    path = Path(value)
    if not path.is_absolute():
        raise ConfigurationError(f"{where}: ca_bundle must be an absolute path: {value!r}")
    try:
        ssl.create_default_context(cafile=str(path))
    except ssl.SSLError:
        raise ConfigurationError(
            f"{where}: ca_bundle {value} holds no PEM certificate"
        ) from None
    except OSError as error:
        raise ConfigurationError(
            f"{where}: cannot read ca_bundle {value}: {error.strerror or type(error).__name__}"
        ) from None
    return path


def _section_error(section: str) -> str | None:
    """What is wrong with a section name of the administrator's file, or None."""
    kind, dot, name = section.partition(".")
    if section == "delivery":
        return None
    if kind != "endpoint" or not dot:
        return (
            f"[{section}]: unknown section; the file holds [endpoint.NAME] sections "
            "and one [delivery] section"
        )
    if not _NAME.fullmatch(name):
        return f"[{section}]: endpoint names may hold only letters, digits, '-' and '_'"
    if name == RESERVED_NAME:
        return (
            f"[{section}]: {RESERVED_NAME} is reserved for the schema's defaults; "
            "give the endpoint another name"
        )
    return None


def _endpoint(section: _Section) -> Endpoint:
    name = section.name.partition(".")[2]
    where = f"[endpoint.{name}]"
    url = section["url"].strip()
    if not url:
        raise ConfigurationError(f"{where}: url is missing")
    if not re.match(r"https?://[^/?#]+", url):
        raise ConfigurationError(f"{where}: url must be an http:// or https:// URL: {url!r}")
    try:
        events = re.compile(section["events"])
    except re.error as error:
        raise ConfigurationError(
            f"{where}: events is not a valid regular expression ({error})"
        ) from None
    try:
        include_secrets = as_boolean(section["include_secrets"])
    except ValueError:
        raise ConfigurationError(f"{where}: include_secrets must be yes or no") from None
    secret, previous_secret = _secrets(where, section)
    return Endpoint(
        name=name,
        url=url,
        api_key=section["api_key"].strip(),
        events=events,
        secret=secret,
        timeout=_duration(where, "timeout", section["timeout"]).total_seconds(),
        include_secrets=include_secrets,
        previous_secret=previous_secret,
        ca_bundle=_ca_bundle(where, url, section["ca_bundle"].strip()),
    )


def _whole_number(where: str, key: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigurationError(f"{where}: {key} must be a whole number above zero")
    return number


def _delivery(section: _Section, endpoints: dict[str, Endpoint]) -> DeliverySettings:
    where = "[delivery]"
    try:
        batch_size = int(section["batch_size"])
    except ValueError:
        batch_size = 0
    if batch_size < 1:
        raise ConfigurationError(f"{where}: batch_size must be a whole number above zero")
    concurrency = _whole_number(where, "concurrency", section["concurrency"])
    delivery = DeliverySettings(
        retry_period=_duration(where, "retry_period", section["retry_period"]),
        initial_backoff=_duration(where, "initial_backoff", section["initial_backoff"]),
        max_backoff=_duration(where, "max_backoff", section["max_backoff"]),
        batch_size=batch_size,
        lease=_duration(where, "lease", section["lease"]),
        concurrency=concurrency,
        retention=_duration(where, "retention", section["retention"]),
    )
    if delivery.max_backoff < delivery.initial_backoff:
        raise ConfigurationError(f"{where}: max_backoff is shorter than initial_backoff")
    slowest = max((ep.timeout for ep in endpoints.values()), default=0.0)
    if delivery.lease.total_seconds() <= batch_size * slowest:
        raise ConfigurationError(
            f"{where}: lease must be longer than batch_size ({batch_size}) times the "
            f"longest endpoint timeout ({slowest:g}s)"
        )
    return delivery


def _config_errors(error: ConfigErrors) -> ConfigurationError:
    details = "; ".join(str(each) for each in error.errors)
    return ConfigurationError(f"invalid webhooks configuration: {details}")


@public
class WebhooksConfiguration:
    """A stack of configuration overlays over the plugin's schema, as `Settings`.

    Like Mailman's own `config`, it supports `push` and `pop` (used by tests and
    by the plugin to load the administrator's file); each change is validated and
    the settings rebuilt at once, so a bad overlay never becomes current.
    """

    def __init__(self) -> None:
        self._config = _schema().loadFile(StringIO(""), "schema defaults")
        self.settings = self._build()

    def push(self, name: str, text: str) -> None:
        """Put a configuration text on top of the stack; raise `ConfigurationError`."""
        self._check_keys(text)
        self._config.push(name, text)
        try:
            self.settings = self._build()
        except ConfigurationError:
            self._config.pop(name)
            raise

    def pop(self, name: str) -> None:
        """Remove the overlay of that name (and all above it)."""
        self._config.pop(name)
        self.settings = self._build()

    def _check_keys(self, text: str) -> None:
        # lazr.config reports unknown keys only in sections an earlier layer already
        # had, not in a new [endpoint.NAME], and takes [endpoint.master] for its own
        # template: every section name and key is checked here.
        parser = RawConfigParser(strict=False)
        try:
            parser.read_string(dedent(text))
        except ConfigParserError as error:
            raise ConfigurationError(f"not a configuration file: {error.message}") from None
        for section in parser.sections():
            problem = _section_error(section)
            if problem is not None:
                raise ConfigurationError(problem)
            schema_name = "endpoint.master" if section.startswith("endpoint.") else section
            known = set(self._config.schema[schema_name])
            for key in parser.options(section):
                if key not in known:
                    raise ConfigurationError(f"[{section}]: unknown key {key!r}")

    def _build(self) -> Settings:
        try:
            self._config.validate()
        except ConfigErrors as error:
            raise _config_errors(error) from None
        endpoints = {}
        for section in self._config.data.getByCategory("endpoint", []):
            if section.name == "endpoint.master":
                continue
            endpoint = _endpoint(section)
            endpoints[endpoint.name] = endpoint
        return Settings(endpoints=endpoints, delivery=_delivery(self._config.delivery, endpoints))
