"""Rules of the PGP posting chain, discovered by Mailman (one rule per module)."""
