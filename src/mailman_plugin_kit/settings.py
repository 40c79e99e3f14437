"""A plugin's settings in this process: loaded once by its ``pre_hook``, read by everyone.

Every Mailman process (master, runners, REST, CLI) runs each plugin's ``pre_hook``; there
the plugin reads its own ``[plugin.NAME]`` section and stores what it made here. Any
module of the plugin then asks `ProcessSettings.get` instead of looking the plugin up
in ``config.plugins``, so no module has to import the plugin class.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from public import public

T = TypeVar("T")


@public
class SettingsNotLoaded(RuntimeError):
    """The settings were asked for before the plugin's ``pre_hook`` loaded them."""


@public
class ProcessSettings(Generic[T]):
    """One plugin's settings object for this process; reading it before it is set raises."""

    def __init__(self, plugin: str) -> None:
        self._plugin = plugin
        self._value: T | None = None

    def set(self, value: T) -> T:
        """Make ``value`` this process's settings (the plugin's ``pre_hook`` does)."""
        self._value = value
        return value

    def get(self) -> T:
        """This process's settings."""
        if self._value is None:
            raise SettingsNotLoaded(
                f"The {self._plugin} plugin's settings were read before its pre_hook ran.")
        return self._value
