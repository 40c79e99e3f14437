"""REST for deliveries: ``deliveries``, ``deliveries/<id>`` and ``deliveries/<id>/redeliver``.

A delivery is one event due to one endpoint. The list is newest first, filtered by
``endpoint``, ``status`` and ``event``, and always paged: ``count`` and ``page``, or
without them the first `DEFAULT_PAGE_SIZE` entries; ``next_page_link`` leads on.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from mailman.config import config
from mailman.rest.helpers import (
    CollectionMixin,
    NotFound,
    accepted,
    bad_request,
    child,
    conflict,
    etag,
    not_found,
    okay,
)
from public import public

from mailman_plugin_kit.rest import PluginPaths, paging_error, storable
from mailman_webhooks import admin
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import DeliveryStatus, WebhookDelivery
from mailman_webhooks.rest.endpoints import unknown_endpoint
from mailman_webhooks.rest.values import timestamp, unexpected_parameters

FILTERS = frozenset({"endpoint", "status", "event"})
PAGING = frozenset({"count", "page"})
# The outbox may hold millions of deliveries: a list is never longer than this.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_EVENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DELIVERY_ID = re.compile(r"[1-9][0-9]{0,17}")


class FilterError(ValueError):
    """A query parameter of the delivery list has a value it cannot take."""


class _DeliveryBase(CollectionMixin):
    def __init__(self, paths: PluginPaths) -> None:
        self._paths = paths

    def _resource_as_dict(self, delivery: WebhookDelivery, fields=None) -> dict:
        """See `CollectionMixin`."""
        event = delivery.event
        return dict(
            id=delivery.id,
            endpoint=delivery.endpoint,
            event_id=str(event.id),
            event_name=event.name,
            event_sequence=event.sequence,
            status=delivery.status.value,
            created=timestamp(delivery.created),
            attempt_count=delivery.attempts,
            next_attempt_at=timestamp(delivery.next_attempt_at),
            last_attempt_at=timestamp(delivery.last_attempt_at),
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            finished_at=timestamp(delivery.finished_at),
            self_link=self._paths.path(self.api, "deliveries", delivery.id),
            endpoint_link=self._paths.path(self.api, "endpoints", delivery.endpoint),
        )

    def _full_dict(self, delivery: WebhookDelivery) -> dict:
        """A delivery with its attempts and the event as sent, without secrets."""
        resource = self._resource_as_dict(delivery)
        resource["attempts"] = [
            dict(
                at=timestamp(attempt.at),
                status_code=attempt.status_code,
                duration=attempt.duration,
                error=attempt.error,
            )
            for attempt in delivery.attempt_log
        ]
        resource["payload"] = delivery.event.payload
        return resource


@public
class AllDeliveries(_DeliveryBase):
    """Deliveries, newest first, filtered by endpoint, status and event name."""

    def _filters(self, request) -> admin.DeliveryQuery:
        store = config.db.store
        endpoint = request.get_param("endpoint")
        if endpoint is not None and not (
            endpoint in webhooks_settings().endpoints
            or (storable(endpoint) and admin.endpoint_has_deliveries(store, endpoint))
        ):
            raise FilterError(unknown_endpoint(endpoint))
        status = request.get_param("status")
        if status is not None:
            try:
                status = DeliveryStatus(status)
            except ValueError:
                accepted_values = ", ".join(each.value for each in DeliveryStatus)
                raise FilterError(
                    f"Invalid status: {status!r}; accepted values are {accepted_values}"
                ) from None
        event = request.get_param("event")
        if event is not None and not _EVENT_NAME.fullmatch(event):
            raise FilterError(
                f"Invalid event: {event!r}; give an event class name such as "
                "SubscriptionEvent"
            )
        return admin.DeliveryQuery(store, endpoint=endpoint, status=status, event_name=event)

    def on_get(self, request, response) -> None:
        """GET deliveries[?endpoint=&status=&event=&count=&page=]"""
        problem = (
            unexpected_parameters(request, FILTERS | PAGING)
            or _page_size_error(request)
            or paging_error(request)
        )
        if problem:
            bad_request(response, problem)
            return
        try:
            self._query = self._filters(request)
        except FilterError as error:
            bad_request(response, str(error))
            return
        result = self._make_collection(request)
        shown = len(result.get("entries", []))
        if shown and result["start"] + shown < result["total_size"]:
            result["next_page_link"] = self._next_page(request, shown)
        okay(response, etag(result))

    def _paginate(self, request, collection):
        """See `CollectionMixin`; without ``count`` and ``page``, the first page."""
        if request.get_param("count") is None:  # paging_error: page is absent too
            return 0, len(collection), collection[0:DEFAULT_PAGE_SIZE]
        return super()._paginate(request, collection)

    def _next_page(self, request, shown: int) -> str:
        """The request's own URL for the following page, its filters kept."""
        count = int(request.get_param("count") or shown)
        page = int(request.get_param("page") or 1)
        query = {key: request.get_param(key) for key in sorted(FILTERS)}
        query = {key: value for key, value in query.items() if value is not None}
        query.update(count=str(count), page=str(page + 1))
        return self._paths.path(self.api, "deliveries") + "?" + urlencode(query)

    def _get_collection(self, request) -> admin.DeliveryQuery:
        """See `CollectionMixin`."""
        return self._query


def _page_size_error(request) -> str | None:
    """Why ``count`` asks for too long a page, or None (`paging_error` checks the rest)."""
    count = request.get_param("count")
    if count is None or not (count.isascii() and count.isdigit()):
        return None
    # Compared as text first: int() refuses numbers of thousands of digits.
    digits = count.lstrip("0")
    if len(digits) > len(str(MAX_PAGE_SIZE)) or int(digits or "0") > MAX_PAGE_SIZE:
        return f"Invalid count: {count[:20]}; at most {MAX_PAGE_SIZE} deliveries a page"
    return None


@public
class ADelivery(_DeliveryBase):
    """One delivery with its attempts; ``redeliver`` below it."""

    def __init__(self, paths: PluginPaths, delivery_id: str) -> None:
        super().__init__(paths)
        self._id = delivery_id
        self._delivery = None
        if _DELIVERY_ID.fullmatch(delivery_id):
            self._delivery = admin.get_delivery(config.db.store, int(delivery_id))

    def on_get(self, request, response) -> None:
        """GET deliveries/<id>"""
        if self._delivery is None:
            not_found(response, unknown_delivery(self._id))
            return
        okay(response, etag(self._full_dict(self._delivery)))

    @child()
    def redeliver(self, context, segments):
        """deliveries/<id>/redeliver, and nothing below it"""
        if segments:
            return NotFound(), []
        return Redeliver(self, self._id, self._delivery), []


@public
class Redeliver:
    """POST schedules a delivery again, whatever its status."""

    def __init__(self, parent: ADelivery, delivery_id: str, delivery) -> None:
        self._parent = parent
        self._id = delivery_id
        self._delivery = delivery

    def on_post(self, request, response) -> None:
        """POST deliveries/<id>/redeliver: 202 with the delivery; 404; 409."""
        delivery = self._delivery
        if delivery is None:
            not_found(response, unknown_delivery(self._id))
            return
        if delivery.endpoint not in webhooks_settings().endpoints:
            conflict(
                response,
                f"Endpoint {delivery.endpoint} is no longer configured; "
                f"delivery {delivery.id} cannot be sent.",
            )
            return
        store = config.db.store
        try:
            admin.redeliver(store, delivery.id, utcnow())
        except admin.DeliveryBusy:
            conflict(
                response,
                f"Delivery {delivery.id} is being sent right now; try again when its "
                "attempt is recorded.",
            )
            return
        store.refresh(delivery)
        accepted(response, etag(self._parent._full_dict(delivery)))


@public
def unknown_delivery(delivery_id: str) -> str:
    """The error description for a delivery id the outbox does not have."""
    return f"Unknown delivery: {delivery_id}"
