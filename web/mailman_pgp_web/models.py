"""The events the webhooks plugin delivered, each stored once by its id."""

from __future__ import annotations

from django.db import models


class WebhookEvent(models.Model):
    """One event as delivered (at least once: a retry carries the same ``event_id``)."""

    # The webhook-id header, the same as the envelope's "id".
    event_id = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    # The list the event names ("mlist" of the PGP plugin's events, "mailing_list" of
    # Mailman's), if any.
    list_id = models.CharField(max_length=400, blank=True, default="", db_index=True)
    # When Mailman recorded the event (the envelope's "timestamp").
    timestamp = models.DateTimeField(null=True)
    received = models.DateTimeField(auto_now_add=True)
    # The envelope's "event" object.
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["-timestamp", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.event_id}"
