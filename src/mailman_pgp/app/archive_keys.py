"""The keys a PGP list's archive is encrypted to besides the list key: listing, adding, removing.

Each copy the list keeps in its encrypted archive (`mailman_pgp.archivers.pgp_archive`) is
encrypted to the list key and to every archive key the list has when the copy is made, so
that whoever holds one of those keys (an archivist, a backup service) can read the archive
without the list's secret key. Adding or removing a key changes what later copies are
encrypted to; copies already made stay as they are.
"""

from __future__ import annotations

from mailman.config import config
from mailman.utilities.datetime import now
from public import public

from mailman_pgp.config import pgp_config
from mailman_pgp.errors import PGPError
from mailman_pgp.interfaces.archive_keys import IPGPArchiveKey
from mailman_pgp.model.archive_key import PGPArchiveKey
from mailman_pgp.openpgp import parse_certificate


@public
class NoArchiveKey(PGPError):
    """The list's archive is not encrypted to a key with this fingerprint."""

    def __init__(self, list_id: str, fingerprint: str) -> None:
        super().__init__(f"The archive of {list_id} has no key {fingerprint}.")
        self.list_id = list_id
        self.fingerprint = fingerprint


@public
def archive_keys(list_id: str) -> list[IPGPArchiveKey]:
    """The archive keys of ``list_id``, by fingerprint."""
    return list(config.db.store.query(PGPArchiveKey)
                .filter(PGPArchiveKey.list_id == list_id)
                .order_by(PGPArchiveKey.fingerprint))


@public
def archive_key(list_id: str, fingerprint: str) -> IPGPArchiveKey:
    """The archive key of ``list_id`` with ``fingerprint`` (any case); `NoArchiveKey` if none."""
    found = config.db.store.query(PGPArchiveKey).filter(
        PGPArchiveKey.list_id == list_id,
        PGPArchiveKey.fingerprint == fingerprint.upper()).one_or_none()
    if found is None:
        raise NoArchiveKey(list_id, fingerprint)
    return found


@public
def add_archive_key(list_id: str, armor: str | bytes) -> tuple[IPGPArchiveKey, bool]:
    """Encrypt the archive of ``list_id`` to ``armor`` too; the key, and whether it is new.

    ``armor`` must be exactly one public certificate usable now, within the plugin's key
    limits; otherwise the `mailman_pgp.openpgp` error says why. A key the list has already
    is replaced by the one given (an update of it). The caller commits.
    """
    certificate = parse_certificate(armor, limits=pgp_config().key_limits)
    try:
        existing = archive_key(list_id, certificate.fingerprint)
    except NoArchiveKey:
        added = PGPArchiveKey(list_id, certificate, now())
        config.db.store.add(added)
        return added, True
    existing.public_key = certificate.armor
    existing.added_at = now()
    return existing, False


@public
def remove_archive_key(list_id: str, fingerprint: str) -> None:
    """Stop encrypting the archive of ``list_id`` to ``fingerprint``; `NoArchiveKey` if it was not.

    The caller commits.
    """
    config.db.store.delete(archive_key(list_id, fingerprint))
