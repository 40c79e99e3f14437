"""`ListKeySource` over Mailman's REST: the PGP plugin's lists, Mailman's lists, list keys.

Settings are the app's (`mailman_pgp_web.conf`); a list's key comes through
`mailman_pgp_web.pgp_rest.list_key`, which the pages share and the webhooks keep fresh.
"""

from collections.abc import Iterator
from typing import Any

import requests

from mailman_pgp_web.conf import pgp_web_settings
from mailman_pgp_web.pgp_rest import PGPRestError, list_key
from mailman_pgp_web.wkd.directory import KeySourceError, ListGone, PGPListAddress

PAGE_SIZE = 500
TIMEOUT_SECONDS = 10


def _entries(url: str) -> Iterator[dict[str, Any]]:
    """Every entry of a paged Mailman REST collection."""
    conf = pgp_web_settings()
    page = 1
    while True:
        try:
            response = requests.get(
                url, params={"count": PAGE_SIZE, "page": page},
                auth=(conf.rest_user, conf.rest_password), timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            body = response.json()
            entries = body.get("entries", [])
            total = int(body["total_size"])
        except requests.RequestException as error:
            raise KeySourceError(f"Mailman's REST failed for {url}: {error}") from error
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise KeySourceError(f"unreadable answer of Mailman's REST for {url}") from error
        yield from entries
        if page * PAGE_SIZE >= total or not entries:
            return
        page += 1


class RESTKeySource:
    """See `ListKeySource`."""

    def pgp_lists(self) -> Iterator[PGPListAddress]:
        """See `ListKeySource`: two paged collections, whatever the number of lists."""
        conf = pgp_web_settings()
        pgp_ids = {entry["list_id"] for entry in _entries(conf.plugin_url + "lists")}
        if not pgp_ids:
            return
        for mlist in _entries(f"{conf.rest_url.rstrip('/')}/3.1/lists"):
            if mlist.get("list_id") in pgp_ids:
                yield PGPListAddress(mlist["list_id"], mlist["fqdn_listname"])

    def armored_key(self, list_id: str) -> str:
        """See `ListKeySource`."""
        try:
            key = list_key(list_id)
        except (PGPRestError, requests.RequestException, ValueError, KeyError) as error:
            raise KeySourceError(f"no key from Mailman's REST for {list_id}: {error}") from error
        if key is None:
            raise ListGone(list_id)
        return key.public_key
