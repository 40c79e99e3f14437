"""REST for a bulk redeliver: ``POST redeliveries`` with an endpoint and a time range.

Schedules again the endpoint's failed deliveries created in the range, in batches of at
most `mailman_webhooks.feed.MAX_REDELIVERIES`: the answer says how many, and whether the
caller should ask again for the rest.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mailman.config import config
from mailman.rest.helpers import accepted, bad_request, conflict, etag, not_found
from public import public

from mailman_plugin_kit.rest import PluginPaths, Validator, storable
from mailman_webhooks import admin, feed
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.rest.endpoints import unknown_endpoint


def moment(value: object) -> datetime:
    """An ISO 8601 time as naive UTC, the outbox's form; one without an offset is UTC."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError(f"not a time in UTC's range: {value!r}") from None
    return parsed


def endpoint_name(value: object) -> str:
    """An endpoint name: a string the outbox can hold."""
    if not isinstance(value, str) or not value or not storable(value):
        raise ValueError(f"not an endpoint name: {value!r}")
    return value


@public
class Redeliveries:
    """POST schedules an endpoint's failed deliveries of a time range again."""

    # Set by Mailman's REST router on every resource it traverses.
    api: Any

    def __init__(self, paths: PluginPaths) -> None:
        self._paths = paths

    def on_post(self, request, response) -> None:
        """POST redeliveries {endpoint, since[, until]}: 202 with the count; 400; 404; 409."""
        try:
            values = Validator(
                endpoint=endpoint_name, since=moment, until=moment, _optional=("until",)
            )(request)
        except ValueError as error:
            bad_request(response, str(error))
            return
        now = utcnow()
        name, since, until = values["endpoint"], values["since"], values.get("until", now)
        if not since < until:
            bad_request(response, "since must be before until")
            return
        store = config.db.store
        if name not in webhooks_settings().endpoints:
            if admin.endpoint_has_deliveries(store, name):
                conflict(response, f"Endpoint {name} is no longer configured; its "
                         "deliveries cannot be sent.")
            else:
                not_found(response, unknown_endpoint(name))
            return
        done = feed.redeliver_failed(store, name, since, until, now)
        accepted(response, etag(dict(
            endpoint=name,
            redelivered=done.count,
            more=done.more,
            deliveries_link=self._paths.path(self.api, "deliveries")
            + f"?endpoint={name}&status=pending",
        )))
