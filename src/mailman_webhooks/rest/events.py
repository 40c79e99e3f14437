"""REST for the catch-up feed: ``GET events?after=<sequence>``.

A consumer that was down past the retry period, or starts fresh, reads the events it
missed in ``sequence`` order, a bounded page at a time, each as delivery sends it to an
endpoint without ``include_secrets`` (confirmation tokens are ``null``).
"""

from __future__ import annotations

import re

from mailman.config import config
from mailman.rest.helpers import bad_request, etag, okay
from public import public

from mailman_plugin_kit.rest import PluginPaths, storable
from mailman_webhooks import admin, feed
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.rest.endpoints import unknown_endpoint
from mailman_webhooks.rest.values import unexpected_parameters

PARAMETERS = frozenset({"after", "event", "endpoint", "limit"})
DEFAULT_LIMIT = 100
_SEQUENCE = re.compile(r"[0-9]{1,18}")
_LIMIT = re.compile(r"[0-9]{1,4}")
_EVENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FeedQueryError(ValueError):
    """A query parameter of the feed has a value it cannot take."""


@public
class EventFeed:
    """The recorded events after a sequence number, oldest first."""

    def __init__(self, paths: PluginPaths) -> None:
        self._paths = paths

    def on_get(self, request, response) -> None:
        """GET events[?after=&event=&endpoint=&limit=]"""
        problem = unexpected_parameters(request, PARAMETERS)
        if problem:
            bad_request(response, problem)
            return
        try:
            after, limit, names, endpoint = self._query(request)
        except FeedQueryError as error:
            bad_request(response, str(error))
            return
        page = feed.events_after(config.db.store, after, limit, names, endpoint)
        entries = [event.body(include_secrets=False) for event in page.events]
        next_after = entries[-1]["sequence"] if entries else after
        okay(response, etag(dict(entries=entries, next_after=next_after, more=page.more)))

    def _query(self, request) -> tuple[int, int, list[str], str | None]:
        after = request.get_param("after", default="0")
        if not _SEQUENCE.fullmatch(after):
            raise FeedQueryError(f"Invalid after: {after!r}; give a sequence number from 0")
        limit = request.get_param("limit", default=str(DEFAULT_LIMIT))
        if not (_LIMIT.fullmatch(limit) and 1 <= int(limit) <= feed.MAX_PAGE):
            raise FeedQueryError(
                f"Invalid limit: {limit!r}; give a whole number from 1 to {feed.MAX_PAGE}"
            )
        names = request.get_param_as_list("event") or []
        for name in names:
            if not _EVENT_NAME.fullmatch(name):
                raise FeedQueryError(
                    f"Invalid event: {name!r}; give an event class name such as "
                    "SubscriptionEvent"
                )
        endpoint = request.get_param("endpoint")
        if endpoint is not None and not (
            endpoint in webhooks_settings().endpoints
            or (storable(endpoint) and admin.endpoint_has_deliveries(config.db.store, endpoint))
        ):
            raise FeedQueryError(unknown_endpoint(endpoint))
        return int(after), int(limit), names, endpoint
