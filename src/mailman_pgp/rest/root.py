"""The root of the plugin's REST resources, served by Mailman at ``/3.1/plugins/<name>/``.

Mailman's REST server authenticates every request before it reaches these resources.
"""

from mailman.rest.helpers import NotFound, child
from public import public

from mailman_pgp.rest.addresses import AnAddressKey
from mailman_pgp.rest.key_proofs import AddressKeyProofs
from mailman_pgp.rest.lists import AllPGPLists, APGPList
from mailman_plugin_kit.rest import PluginPaths


@public
class PGPRoot:
    """``lists`` and ``addresses`` below the plugin's REST location."""

    def __init__(self, paths: PluginPaths) -> None:
        self._paths = paths

    @child()
    def lists(self, context, segments):
        """/lists and /lists/<list_id>[/...]"""
        if len(segments) == 0:
            return AllPGPLists(self._paths)
        return APGPList(self._paths, segments.pop(0)), segments

    @child()
    def addresses(self, context, segments):
        """/addresses/<email>/key and /addresses/<email>/key-proofs"""
        if len(segments) == 2 and segments[1] == "key-proofs":
            return AddressKeyProofs(self._paths, segments[0]), []
        if len(segments) != 2 or segments[1] != "key":
            return NotFound(), []
        return AnAddressKey(self._paths, segments[0]), []
