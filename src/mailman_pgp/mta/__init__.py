"""Delivery of PGP list posts: one copy per subscriber, signed by the list, encrypted to them.

`mailman_pgp.mta.deliver.deliver` is the ``[mta] outgoing`` callable; it hands every
message of a non-PGP list to Mailman's own delivery unchanged.
"""
