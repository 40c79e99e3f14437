"""How the REST API reads request values and writes times; shared by its resources."""

from __future__ import annotations

from datetime import datetime

from lazr.config import as_boolean
from public import public

from mailman_webhooks.clock import isoformat


@public
def timestamp(moment: datetime | None) -> str | None:
    """A stored naive-UTC time as ISO 8601 with ``Z``, as the webhook payloads write it."""
    return None if moment is None else isoformat(moment)


@public
def boolean(value: object) -> bool:
    """A JSON boolean, or a form value such as ``true``/``false``/``yes``/``no``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return as_boolean(value)
    raise ValueError(f"not a boolean: {value!r}")


@public
def unexpected_parameters(request, allowed: frozenset[str]) -> str | None:
    """A message naming query parameters this resource does not take, or None.

    A misspelt filter would otherwise be ignored and answer with everything.
    """
    unknown = sorted(set(request.params) - allowed)
    if unknown:
        return f"Unknown query parameters: {', '.join(unknown)}"
    return None
