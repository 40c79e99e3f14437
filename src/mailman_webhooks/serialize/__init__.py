"""Support of `mailman_webhooks.serialization`: the table of known events."""
