"""The root of the plugin's REST resources, served by Mailman at ``/3.1/plugins/<name>/``.

Mailman's REST server authenticates every request and runs it in one transaction
before and after these resources see it.
"""

from __future__ import annotations

from mailman.rest.helpers import child
from public import public

from mailman_webhooks.rest.deliveries import ADelivery, AllDeliveries
from mailman_webhooks.rest.endpoints import AllEndpoints, AnEndpoint
from mailman_webhooks.rest.links import Links


@public
class WebhooksRoot:
    """``endpoints`` and ``deliveries`` below the plugin's REST location."""

    def __init__(self, plugin) -> None:
        self._plugin = plugin
        self._links = Links(plugin)

    @child()
    def endpoints(self, context, segments):
        """/endpoints and /endpoints/<name>[/ping]"""
        if len(segments) == 0:
            return AllEndpoints(self._plugin, self._links)
        return AnEndpoint(self._plugin, self._links, segments.pop(0)), segments

    @child()
    def deliveries(self, context, segments):
        """/deliveries and /deliveries/<id>[/redeliver]"""
        if len(segments) == 0:
            return AllDeliveries(self._plugin, self._links)
        return ADelivery(self._plugin, self._links, segments.pop(0)), segments
