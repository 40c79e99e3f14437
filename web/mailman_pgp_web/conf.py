"""The app's settings: one block, ``MAILMAN_PGP_WEB``, beside Postorius's REST settings.

Mailman's REST URL and credentials are Postorius's own (``MAILMAN_REST_API_URL``,
``MAILMAN_REST_API_USER``, ``MAILMAN_REST_API_PASS``); the block adds what only this app
needs::

    MAILMAN_PGP_WEB = {
        "webhook_secret": "whsec_...",   # the endpoint's `secret` in the webhooks plugin
        "webhook_api_key": "...",        # its `api_key`, sent as ?key=
        "plugin_path": "plugins/pgp",    # where the PGP plugin's REST is, below /3.1/
        "cache_seconds": 300,            # how long pages reuse what REST said
    }
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PGPWebSettings:
    """``MAILMAN_PGP_WEB`` with its defaults, and Postorius's REST settings."""

    rest_url: str
    rest_user: str
    rest_password: str
    webhook_secret: str
    webhook_api_key: str
    plugin_path: str
    cache_seconds: int

    @property
    def plugin_url(self) -> str:
        """The PGP plugin's REST root, ending in a slash."""
        return f"{self.rest_url.rstrip('/')}/3.1/{self.plugin_path.strip('/')}/"


def pgp_web_settings() -> PGPWebSettings:
    """The settings now (read each time, so tests can override them)."""
    block = getattr(settings, "MAILMAN_PGP_WEB", {})
    unknown = set(block) - {"webhook_secret", "webhook_api_key", "plugin_path",
                            "cache_seconds"}
    if unknown:
        raise ImproperlyConfigured(f"MAILMAN_PGP_WEB: unknown settings {sorted(unknown)}")
    return PGPWebSettings(
        rest_url=settings.MAILMAN_REST_API_URL,
        rest_user=settings.MAILMAN_REST_API_USER,
        rest_password=settings.MAILMAN_REST_API_PASS,
        webhook_secret=block.get("webhook_secret", ""),
        webhook_api_key=block.get("webhook_api_key", ""),
        plugin_path=block.get("plugin_path", "plugins/pgp"),
        cache_seconds=int(block.get("cache_seconds", 300)),
    )
