"""A plugin's REST below ``/<api>/plugins/<name>/``: absolute URLs, paging checked first,
and request input refused before Mailman's helpers or the database would fail on it."""

from __future__ import annotations

from typing import Any

from mailman.rest.helpers import bad_request, etag, okay
from mailman.rest.validator import Validator as MailmanValidator
from public import public

NOT_AN_OBJECT = "The request body must be a JSON object (or a form)."


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
def respond_with_page(resource: Any, request: Any, response: Any) -> None:
    """Answer a GET of a ``CollectionMixin`` ``resource``: the page ``count``/``page`` ask
    for (all of it without them), or 400 when they cannot page it (`paging_error`)."""
    problem = paging_error(request)
    if problem:
        bad_request(response, problem)
        return
    okay(response, etag(resource._make_collection(request)))


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


@public
class Validator(MailmanValidator):  # type: ignore[misc]
    """Mailman's `Validator`, refusing with a `ValueError` a JSON body that is not an object.

    Mailman 3.3.10's ``Validator`` calls ``.items()`` on the parsed JSON body whatever it
    is: an array, a string or a number raises ``AttributeError``, which Mailman's REST
    server answers with a 500 (its own resources too); and it takes ``null``, ``[]``, ``0``
    or ``false`` for an empty object. The resources catch the ``ValueError`` and answer 400
    like any other invalid request.
    """

    def __call__(self, request: Any) -> dict[str, Any]:
        if _json_body(request) and not isinstance(request.media, dict):
            raise ValueError(NOT_AN_OBJECT)
        values: dict[str, Any] = super().__call__(request)
        return values


def _json_body(request: Any) -> bool:
    """Whether Mailman reads the request's body as JSON (`get_request_params`)."""
    return bool(request.content_type and request.content_type.startswith("application/json"))


@public
def storable(text: str) -> bool:
    """Whether ``text`` can be looked up in the database; a NUL character cannot.

    PostgreSQL refuses strings holding NUL (psycopg2 raises ``ValueError``, which Mailman's
    REST server answers 400 "A string literal cannot contain NUL (0x00) characters.") where
    SQLite finds nothing. No list ID, address, token or endpoint name holds one, so the
    resources answer such an identifier as unknown, the same on both databases.
    """
    return "\x00" not in text
