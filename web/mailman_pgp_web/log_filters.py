"""Logging filters that keep the webhook receiver's ``?key=`` (its ``api_key``) out of logs.

Django's development server, and any access log fed by the ``django.server`` logger, writes
each request line with its query string; the receiver's URL carries the endpoint's key there.
"""

from __future__ import annotations

import logging
import re

_KEY_PARAMETER = re.compile(r"([?&]key=)[^&\s\"']*")
REDACTED = "[redacted]"


def redact_key(text: str) -> str:
    """``text`` with the value of every ``key`` query parameter replaced."""
    return _KEY_PARAMETER.sub(rf"\1{REDACTED}", text)


class RedactWebhookKey(logging.Filter):
    """Rewrite a record's message and string arguments without the ``key`` parameter's value."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_key(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_key(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True
