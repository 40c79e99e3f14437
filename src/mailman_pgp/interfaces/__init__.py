"""The PGP plugin's contracts, as zope interfaces in Mailman's style: what it adds to Mailman."""
