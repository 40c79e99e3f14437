"""The PGP plugin's tables, on Mailman's declarative base in Mailman's database, and the
managers (utilities providing the plugin's interfaces) that find and store their rows.

They commit and roll back with ``config.db.store``, like Mailman's own models.
"""

from mailman_pgp.model.address_key import PGPAddressKey
from mailman_pgp.model.address_key_manager import PGPAddressKeyManager
from mailman_pgp.model.list_manager import PGPListManager
from mailman_pgp.model.pgp_list import PGPMailingList
from mailman_pgp.model.schema import SCHEMA_VERSION, ensure_schema, pgp_schema

__all__ = [
    "SCHEMA_VERSION",
    "PGPAddressKey",
    "PGPAddressKeyManager",
    "PGPListManager",
    "PGPMailingList",
    "ensure_schema",
    "pgp_schema",
]
