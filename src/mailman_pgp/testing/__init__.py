"""Test support, not product code: a real GnuPG as the subscriber's client and mail built as
clients build it. Shipped inside the package so tests anywhere in the tree can import it;
nothing under ``mailman_pgp`` outside tests may import it.
"""
