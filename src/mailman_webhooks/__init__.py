"""Mailman events delivered as signed, reliable webhooks."""
