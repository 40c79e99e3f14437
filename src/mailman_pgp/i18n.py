"""Marking the plugin's sentences for translation, and translating them, as Mailman does.

Mailman's ``_`` (``mailman.core.i18n._``) exists only once Mailman is initialized, so
the plugin's modules, which may be imported before, never call it at import time: `N_`
marks a sentence for extraction (``xgettext --keyword=N_``) and returns it unchanged,
and `translate` turns it into the current language where it is used. Refusal reasons are
translated by Mailman itself when it writes a notice (``format_reasons``).
"""

from mailman.core import i18n
from public import public


@public
def N_(text: str) -> str:
    """``text``, marked for translation, untranslated."""
    return text


@public
def translate(text: str) -> str:
    """``text`` in the language of the message being written (Mailman's ``_``)."""
    return i18n._(text)
