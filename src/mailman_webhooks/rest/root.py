"""The root of the plugin's REST resources, served by Mailman at ``/3.1/plugins/<name>/``.

Mailman's REST server authenticates every request and runs it in one transaction
before and after these resources see it. Every refusal is answered through Mailman's
own helpers (``bad_request``, ``not_found``, ``conflict``), so its body has the form of
Mailman's own errors.
"""

from __future__ import annotations

from mailman.rest.helpers import NotFound, child
from public import public

from mailman_plugin_kit.rest import PluginPaths
from mailman_webhooks.rest.deliveries import ADelivery, AllDeliveries
from mailman_webhooks.rest.endpoints import AllEndpoints, AnEndpoint
from mailman_webhooks.rest.events import EventFeed
from mailman_webhooks.rest.redeliveries import Redeliveries


@public
class WebhooksRoot:
    """``endpoints`` and ``deliveries`` below the plugin's REST location."""

    def __init__(self, paths: PluginPaths) -> None:
        self._paths = paths

    @child()
    def endpoints(self, context, segments):
        """/endpoints and /endpoints/<name>[/ping]"""
        if len(segments) == 0:
            return AllEndpoints(self._paths)
        return AnEndpoint(self._paths, segments.pop(0)), segments

    @child()
    def deliveries(self, context, segments):
        """/deliveries and /deliveries/<id>[/redeliver]"""
        if len(segments) == 0:
            return AllDeliveries(self._paths)
        return ADelivery(self._paths, segments.pop(0)), segments

    @child()
    def events(self, context, segments):
        """/events: the catch-up feed, and nothing below it"""
        if segments:
            return NotFound(), []
        return EventFeed(self._paths)

    @child()
    def redeliveries(self, context, segments):
        """/redeliveries: bulk redeliver, and nothing below it"""
        if segments:
            return NotFound(), []
        return Redeliveries(self._paths)
