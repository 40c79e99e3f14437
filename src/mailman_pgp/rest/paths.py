"""Absolute URLs of the plugin's REST resources, for ``self_link`` and ``Location``."""

from public import public


@public
class PluginPaths:
    """URLs below ``/<api>/plugins/<name>/``, with the name Mailman gave the plugin.

    Mailman sets ``plugin.name`` from the ``[plugin.<name>]`` section after
    creating the plugin, so the name is read at request time.
    """

    def __init__(self, plugin: object) -> None:
        self._plugin = plugin

    def path(self, api, *segments: str) -> str:
        """``api.path_to("plugins/<name>/<segments...>")``."""
        return api.path_to("/".join(("plugins", self._plugin.name, *segments)))
