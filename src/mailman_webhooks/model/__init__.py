"""The outbox: the plugin's tables in Mailman's database.

``webhook_event`` holds each captured event once; ``webhook_delivery`` one row per
(event, endpoint), made by the runner's fan-out; ``webhook_attempt`` one row per HTTP
try; ``webhook_endpoint_state`` what the runner learned about an endpoint (410 Gone
disables it). Endpoints themselves live in the configuration file, not here.
"""

from mailman_webhooks.model.attempt import WebhookAttempt
from mailman_webhooks.model.delivery import DeliveryStatus, WebhookDelivery
from mailman_webhooks.model.endpoint_state import WebhookEndpointState
from mailman_webhooks.model.event import WebhookEvent

__all__ = [
    "DeliveryStatus",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpointState",
    "WebhookEvent",
]

TABLES = [
    WebhookEvent.__table__,
    WebhookDelivery.__table__,
    WebhookAttempt.__table__,
    WebhookEndpointState.__table__,
]
