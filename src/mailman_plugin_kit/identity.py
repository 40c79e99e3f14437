"""How another plugin's objects name themselves in REST terms, without a shared import.

Mailman's REST API names each object by one attribute (a list by ``list_id``, an address
by ``email``). A plugin declares that attribute on its own zope interface with
`declare_rest_identifier`; the webhooks serializer asks `rest_identifier`, so it reduces a
PGP list to its ``list_id`` without importing the PGP plugin.
"""

from __future__ import annotations

from typing import Any

from public import public
from zope.interface import providedBy
from zope.interface.interface import InterfaceClass

TAG = "mailman_plugin_kit.rest_identifier"


@public
def declare_rest_identifier(interface: InterfaceClass, attribute: str) -> None:
    """Objects providing ``interface`` are named by their ``attribute`` in REST."""
    interface.setTaggedValue(TAG, attribute)


@public
def rest_identifier(obj: Any) -> tuple[str, Any] | None:
    """The attribute naming ``obj`` in REST and its value, or None if none is declared."""
    for interface in providedBy(obj).flattened():
        attribute = interface.queryDirectTaggedValue(TAG)
        if attribute is not None:
            return attribute, getattr(obj, attribute)
    return None
