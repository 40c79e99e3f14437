"""The PGP posting chain, discovered by Mailman."""
