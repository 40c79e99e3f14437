"""REST for endpoints: ``endpoints``, ``endpoints/<name>`` and ``endpoints/<name>/ping``.

Endpoints come from the plugin's configuration file; their health comes from the
outbox. An endpoint's ``api_key`` and ``secret`` are never part of an answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mailman.config import config
from mailman.rest.helpers import (
    CollectionMixin,
    NotFound,
    accepted,
    bad_request,
    child,
    conflict,
    etag,
    no_content,
    not_found,
    okay,
)
from public import public

from mailman_plugin_kit.rest import PluginPaths, Validator, paging_error
from mailman_webhooks import admin, outbox
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.rest.values import boolean, timestamp
from mailman_webhooks.settings import Endpoint

DISABLED_BY_REST = "disabled through the REST API"


def public_url(url: str) -> str:
    """The endpoint's URL without user info, query or fragment: they may hold credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class _EndpointBase(CollectionMixin):
    def __init__(self, paths: PluginPaths) -> None:
        self._paths = paths

    @property
    def _endpoints(self) -> dict[str, Endpoint]:
        return webhooks_settings().endpoints

    def _as_dict(self, endpoint: Endpoint, health: admin.EndpointHealth) -> dict:
        return dict(
            name=endpoint.name,
            url=public_url(endpoint.url),
            events=endpoint.events.pattern,
            timeout=endpoint.timeout,
            signed=endpoint.secret is not None,
            sends_api_key=bool(endpoint.api_key),
            include_secrets=endpoint.include_secrets,
            disabled=health.disabled,
            disabled_reason=health.disabled_reason,
            disabled_at=timestamp(health.disabled_at),
            paused_until=timestamp(health.paused_until),
            paused_reason=health.paused_reason,
            last_success=timestamp(health.last_success),
            last_failure=timestamp(health.last_failure),
            consecutive_failures=health.consecutive_failures,
            pending=health.pending,
            self_link=self._paths.path(self.api, "endpoints", endpoint.name),
            deliveries_link=self._paths.path(self.api, "deliveries")
            + f"?endpoint={endpoint.name}",
        )

    def _resource_as_dict(self, endpoint: Endpoint, fields=None) -> dict:
        """See `CollectionMixin`."""
        health = admin.endpoint_health(config.db.store, [endpoint.name], utcnow())
        return self._as_dict(endpoint, health[endpoint.name])


@public
class AllEndpoints(_EndpointBase):
    """The configured endpoints with their health, by name."""

    def _get_collection(self, request) -> list[Endpoint]:
        """See `CollectionMixin`."""
        return [self._endpoints[name] for name in sorted(self._endpoints)]

    def on_get(self, request, response) -> None:
        """GET endpoints"""
        problem = paging_error(request)
        if problem:
            bad_request(response, problem)
            return
        start, total_size, page = self._paginate(request, self._get_collection(request))
        health = admin.endpoint_health(
            config.db.store, [each.name for each in page], utcnow()
        )
        result = dict(start=start, total_size=total_size)
        if page:
            result["entries"] = [self._as_dict(each, health[each.name]) for each in page]
            for entry in result["entries"]:
                etag(entry)
        okay(response, etag(result))


@public
class AnEndpoint(_EndpointBase):
    """One endpoint: read it, enable or disable it, ping it."""

    def __init__(self, paths: PluginPaths, name: str) -> None:
        super().__init__(paths)
        self._name = name
        self._endpoint = self._endpoints.get(name)

    def on_get(self, request, response) -> None:
        """GET endpoints/<name>"""
        if self._endpoint is None:
            not_found(response, unknown_endpoint(self._name))
            return
        okay(response, self._resource_as_json(self._endpoint))

    def on_patch(self, request, response) -> None:
        """PATCH endpoints/<name> {"disabled": false}: send again now (or disable it).

        ``false`` ends a disable and a pause alike: the operator says the receiver is fine.
        """
        if self._endpoint is None:
            not_found(response, unknown_endpoint(self._name))
            return
        try:
            disabled = Validator(disabled=boolean)(request)["disabled"]
        except ValueError as error:
            bad_request(response, str(error))
            return
        store = config.db.store
        if disabled:
            outbox.disable_endpoint(store, self._name, DISABLED_BY_REST, utcnow())
        else:
            admin.resume_endpoint(store, self._name)
        no_content(response)

    @child()
    def ping(self, context, segments):
        """endpoints/<name>/ping, and nothing below it"""
        if segments:
            return NotFound(), []
        return EndpointPing(self._paths, self._name, self._endpoint), []


@public
class EndpointPing:
    """POST queues a test event for one endpoint through the outbox and runner."""

    # Set by Mailman's REST router on every resource it traverses.
    api: Any

    def __init__(self, paths: PluginPaths, name: str, endpoint: Endpoint | None) -> None:
        self._paths = paths
        self._name = name
        self._endpoint = endpoint

    def on_post(self, request, response) -> None:
        """POST endpoints/<name>/ping: 202 with the event id; 404; 409 when disabled."""
        if self._endpoint is None:
            not_found(response, unknown_endpoint(self._name))
            return
        store = config.db.store
        if self._name in outbox.disabled_endpoints(store):
            conflict(
                response,
                f"Endpoint {self._name} is disabled; enable it first "
                '(PATCH it with {"disabled": false}).',
            )
            return
        delivery = admin.ping(store, self._endpoint, utcnow())
        store.flush()
        resource = dict(
            event_id=str(delivery.event.id),
            event_name=delivery.event.name,
            delivery_id=delivery.id,
            delivery_link=self._paths.path(self.api, "deliveries", delivery.id),
        )
        accepted(response, etag(resource))


@public
def unknown_endpoint(name: str) -> str:
    """The error description for an endpoint name the configuration does not have."""
    return f"Unknown endpoint: {name}"
