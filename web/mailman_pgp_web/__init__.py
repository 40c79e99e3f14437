"""A Django app for OpenPGP-encrypted Mailman lists, beside Postorius.

It talks to Mailman Core only over REST (mailmanclient and the PGP plugin's REST) and
receives the webhooks plugin's events; it imports nothing from the plugins.
"""
