"""Stopping Mailman's start-up when a plugin cannot work as configured.

Mailman turns an exception raised in a plugin's ``pre_hook`` into a disabled plugin and
logs one raised in ``post_hook``, and starts anyway; a plugin that silently does nothing
(a PGP list that delivers nothing, webhooks that are never sent) is worse than no start.
`stop_start` ends the process instead, with a message naming the plugin and the problem;
`mailman start` prints it and stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from public import public


@public
def stop_start(plugin: str, problem: object) -> NoReturn:
    """End this Mailman process, saying that ``plugin`` cannot start because of ``problem``."""
    raise SystemExit(f"{plugin} plugin: {problem}")


@public
@contextmanager
def stops_start(plugin: str, *errors: type[BaseException]) -> Iterator[None]:
    """Within this block, any of ``errors`` ends the process by `stop_start`."""
    try:
        yield
    except errors as error:
        stop_start(plugin, error)
