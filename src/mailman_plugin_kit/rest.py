"""A plugin's REST below ``/<api>/plugins/<name>/``: absolute URLs, and paging checked first."""

from __future__ import annotations

from typing import Any

from public import public


@public
class PluginPaths:
    """URLs below ``/<api>/plugins/<name>/``, with the name Mailman gave the plugin.

    Mailman sets ``plugin.name`` from the ``[plugin.<name>]`` section after creating
    the plugin, so the name is read at request time.
    """

    def __init__(self, plugin: Any) -> None:
        self._plugin = plugin

    def path(self, api: Any, *segments: str | int) -> str:
        """``api.path_to("plugins/<name>/<segments...>")``, for ``self_link`` and friends."""
        parts = ("plugins", self._plugin.name, *(str(each) for each in segments))
        path: str = api.path_to("/".join(parts))
        return path


@public
def paging_error(request: Any) -> str | None:
    """Why the request's ``count``/``page`` cannot page a collection, or None.

    Mailman's ``CollectionMixin`` answers a server error when only one of them is given,
    and falcon's own error body (not Mailman's ``bad_request``) for other mistakes; a
    resource that asks this first refuses them all with ``bad_request``.
    """
    count, page = request.get_param("count"), request.get_param("page")
    if (count is None) != (page is None):
        return "count and page go together"
    if count is None:
        return None
    if _whole_number(count) is None:
        return f"Invalid count: {count!r}; give a whole number"
    number = _whole_number(page)
    if number is None or number < 1:
        return f"Invalid page: {page!r}; give a whole number from 1"
    return None


def _whole_number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None
