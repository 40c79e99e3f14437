"""Handlers of the PGP posting pipeline, discovered by Mailman (one handler per module)."""
