"""The PGP posting pipeline, discovered by Mailman."""
