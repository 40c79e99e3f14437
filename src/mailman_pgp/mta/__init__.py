"""Delivery of PGP list mail: signed by the list, a copy encrypted to each recipient alone.

`mailman_pgp.mta.deliver.deliver` is the ``[mta] outgoing`` callable; it delivers PGP
list posts by `PGPDelivery` through Mailman's own delivery code, and hands all other
mail to the callable the site had configured before the plugin (`site_outgoing`).
`EncryptedDelivery` sends any other message of a PGP list (a reply, a notice) the same
encrypted way.
"""
