"""Absolute URLs of a plugin's REST resources, below ``/<api>/plugins/<name>/``."""

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

    def path(self, api, *segments: str | int) -> str:
        """``api.path_to("plugins/<name>/<segments...>")``, for ``self_link`` and friends."""
        parts = ("plugins", self._plugin.name, *(str(each) for each in segments))
        return api.path_to("/".join(parts))
