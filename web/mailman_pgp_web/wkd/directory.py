"""Which list key a WKD request names, from the plugin's REST, through Django's cache.

A WKD path names a domain and a hashed local part. The index (domain and hash to
list_id) is built from two paged REST collections, the PGP lists and Mailman's lists,
and kept in Django's cache, so a request for an unknown address costs no REST call.
A list's key is read through the source (which caches it too) and turned to binary.
A webhook event that adds or removes a PGP list drops the index (`forget`); the cache
timeout bounds staleness when no webhook endpoint is configured.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.core.cache import BaseCache

from mailman_pgp_web.wkd.armor import dearmor
from mailman_pgp_web.wkd.hashing import WKDAddress

INDEX_KEY = "mailman_pgp_web:wkd:index"


class ListGone(LookupError):
    """The list is no PGP list (any more): REST answered 404 for its key."""


class KeySourceError(RuntimeError):
    """Mailman's REST could not be asked (down, refused, or answered nonsense)."""


@dataclass(frozen=True)
class PGPListAddress:
    """A PGP list and its posting address, as REST gives them."""

    list_id: str
    posting_address: str


class ListKeySource(Protocol):
    """Where the directory reads PGP lists and their keys (the plugin's REST)."""

    def pgp_lists(self) -> Iterable[PGPListAddress]:
        """Every PGP list that has a Mailman list; raises `KeySourceError`."""
        ...

    def armored_key(self, list_id: str) -> str:
        """The list's public key, armored; raises `ListGone` or `KeySourceError`."""
        ...


def wkd_addresses(posting_address: str) -> tuple[WKDAddress, WKDAddress]:
    """The addresses WKD serves a list key for: posting and ``-request`` address."""
    posting = WKDAddress.parse(posting_address)
    return posting, WKDAddress(f"{posting.local_part}-request", posting.domain)


def _index_key(domain: str, hashed: str) -> str:
    return f"{domain}/{hashed}"


class KeyDirectory:
    """Finds the binary key for a WKD (domain, hash); see the module docstring."""

    def __init__(self, source: ListKeySource, cache: BaseCache, timeout: int) -> None:
        self.source = source
        self.cache = cache
        self.timeout = timeout

    def _index(self) -> dict[str, str]:
        index: dict[str, str] | None = self.cache.get(INDEX_KEY)
        if index is None:
            index = {}
            for pgp_list in self.source.pgp_lists():
                for address in wkd_addresses(pgp_list.posting_address):
                    index[_index_key(address.domain, address.hash)] = pgp_list.list_id
            self.cache.set(INDEX_KEY, index, self.timeout)
        return index

    def domains(self) -> set[str]:
        """The mail domains that have at least one PGP list."""
        return {entry.partition("/")[0] for entry in self._index()}

    def find(self, domain: str, hashed: str) -> str | None:
        """The list_id whose posting or -request address hashes to ``hashed`` at ``domain``."""
        return self._index().get(_index_key(domain.lower(), hashed))

    def key(self, list_id: str) -> bytes:
        """The list's public key in binary; raises `ListGone`, `KeySourceError`."""
        try:
            return dearmor(self.source.armored_key(list_id))
        except ListGone:
            self.forget()
            raise
        except ValueError as error:
            raise KeySourceError(f"REST gave no usable key for {list_id}") from error

    def forget(self) -> None:
        """Drop the index: a list became a PGP list, or one went away."""
        self.cache.delete(INDEX_KEY)
