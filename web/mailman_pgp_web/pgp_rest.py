"""Client of the PGP plugin's REST (``/3.1/plugins/pgp/``), over ``requests``.

Mailman's own resources (lists, members, requests) go through mailmanclient, as in
Postorius; mailmanclient knows nothing of plugins, so this module speaks to the plugin.
What the pages show often (a list's key, its members' key states) is cached and
forgotten when a webhook event says it changed (`forget_list`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests
from django.core.cache import cache

from mailman_pgp_web.conf import pgp_web_settings

TIMEOUT = 10
# The fields of GET lists/<list_id> that are not settings a PATCH takes.
READ_ONLY = frozenset({"list_id", "fingerprint", "posting_chain", "posting_pipeline",
                       "http_etag"})


class PGPRestError(Exception):
    """The plugin's REST refused a request: its status and its ``description``."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status = status
        self.description = description


@dataclass(frozen=True)
class KeyInfo:
    """A public key as REST describes it (a list's key, or an address's)."""

    fingerprint: str
    algorithm: str
    created: datetime
    expires: datetime | None
    public_key: str
    user_ids: tuple[str, ...] = ()
    revoked: bool = False
    confirmed: bool = True

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyInfo:
        return cls(
            fingerprint=data["fingerprint"],
            algorithm=data["algorithm"],
            created=datetime.fromisoformat(data["created"]),
            expires=datetime.fromisoformat(data["expires"]) if data.get("expires") else None,
            public_key=data["public_key"],
            user_ids=tuple(data.get("user_ids", ())),
            revoked=bool(data.get("revoked", False)),
            confirmed=bool(data.get("confirmed", True)),
        )


@dataclass(frozen=True)
class MemberKeys:
    """The members of a list with their key's state, and how many are in each state."""

    counts: dict[str, int]
    entries: list[dict[str, Any]]


def _request(method: str, path: str, **kwargs: Any) -> requests.Response:
    conf = pgp_web_settings()
    response = requests.request(method, conf.plugin_url + path,
                                auth=(conf.rest_user, conf.rest_password),
                                timeout=TIMEOUT, **kwargs)
    if response.status_code >= 400:
        try:
            description = response.json().get("description") or response.reason
        except ValueError:
            description = response.reason
        raise PGPRestError(response.status_code, str(description))
    return response


def _segment(text: str) -> str:
    return quote(text, safe="@")


def pgp_list(list_id: str) -> dict[str, Any] | None:
    """GET lists/<list_id>: the PGP list's settings, or None when it is not a PGP list."""
    try:
        data: dict[str, Any] = _request("GET", f"lists/{_segment(list_id)}").json()
    except PGPRestError as error:
        if error.status == 404:
            return None
        raise
    return data


def list_settings(data: dict[str, Any]) -> dict[str, Any]:
    """The settings a PATCH takes, from what GET lists/<list_id> answered."""
    return {name: value for name, value in data.items()
            if name not in READ_ONLY and not name.endswith("_link")}


def make_pgp_list(list_id: str) -> None:
    """POST lists: the list becomes a PGP list, with a new key pair."""
    _request("POST", "lists", json={"list_id": list_id})
    forget_list(list_id)


def change_settings(list_id: str, values: dict[str, Any]) -> None:
    """PATCH lists/<list_id>; `PGPRestError` (400) says which value was refused."""
    _request("PATCH", f"lists/{_segment(list_id)}", json=values)
    forget_list(list_id)


def list_key(list_id: str) -> KeyInfo | None:
    """The list's public key, or None when it is not a PGP list (cached)."""
    cached: KeyInfo | None = cache.get(_list_key_cache(list_id))
    if cached is not None:
        return cached
    try:
        key = KeyInfo.from_json(_request("GET", f"lists/{_segment(list_id)}/key").json())
    except PGPRestError as error:
        if error.status == 404:
            return None
        raise
    cache.set(_list_key_cache(list_id), key, pgp_web_settings().cache_seconds)
    return key


def member_keys(list_id: str) -> MemberKeys:
    """The members' key states of a PGP list (cached)."""
    cached: MemberKeys | None = cache.get(_member_keys_cache(list_id))
    if cached is not None:
        return cached
    data = _request("GET", f"lists/{_segment(list_id)}/member-keys").json()
    keys = MemberKeys(counts=data["counts"], entries=data.get("entries", []))
    cache.set(_member_keys_cache(list_id), keys, pgp_web_settings().cache_seconds)
    return keys


def address_key(email: str) -> KeyInfo | None:
    """The key registered for an address, confirmed or not; None without one."""
    try:
        data = _request("GET", f"addresses/{_segment(email)}/key").json()
    except PGPRestError as error:
        if error.status == 404:
            return None
        raise
    return KeyInfo.from_json(data)


def prove_key(email: str, list_id: str, public_key: str) -> dict[str, Any]:
    """POST addresses/<email>/key-proofs: start the proof by email of an uploaded key."""
    data: dict[str, Any] = _request(
        "POST", f"addresses/{_segment(email)}/key-proofs",
        json={"list_id": list_id, "public_key": public_key}).json()
    forget_list(list_id)
    return data


def waiting_keys(email: str) -> list[dict[str, Any]]:
    """The keys sent for an address that wait for their proof or a moderator."""
    entries: list[dict[str, Any]] = _request(
        "GET", f"addresses/{_segment(email)}/key-proofs").json().get("entries", [])
    return entries


def forget_list(list_id: str) -> None:
    """Drop what is cached about a list: its key and its members' key states."""
    cache.delete_many([_list_key_cache(list_id), _member_keys_cache(list_id)])


def _list_key_cache(list_id: str) -> str:
    return f"mailman_pgp_web:list-key:{list_id}"


def _member_keys_cache(list_id: str) -> str:
    return f"mailman_pgp_web:member-keys:{list_id}"
