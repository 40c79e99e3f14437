"""What the plugin does to Mailman's objects: PGP lists and address keys."""
