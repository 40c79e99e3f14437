"""Absolute URLs of the plugin's REST resources, for ``self_link`` and friends."""

from __future__ import annotations

from public import public


@public
class Links:
    """URLs below ``/<api>/plugins/<name>/``, with the name Mailman gave the plugin.

    Mailman sets ``plugin.name`` from the ``[plugin.<name>]`` section after creating
    the plugin, so the name is read at request time.
    """

    def __init__(self, plugin) -> None:
        self._plugin = plugin

    def path(self, api, *segments: str | int) -> str:
        """``api.path_to("plugins/<name>/<segments...>")``."""
        parts = ("plugins", self._plugin.name, *(str(each) for each in segments))
        return api.path_to("/".join(parts))
