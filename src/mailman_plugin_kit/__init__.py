"""What both plugins need from Mailman, answered one way: settings, tables, start-up, REST paths.

The PGP and webhooks plugins never import each other; both import this package, which
imports only Mailman and its libraries.
"""
