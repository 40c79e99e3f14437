"""Email commands of PGP lists (the ``key`` command), found by Mailman in this package."""
