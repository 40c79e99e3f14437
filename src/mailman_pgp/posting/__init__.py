"""The posting flow's shared pieces: opening an encrypted post, the non-secret record of its check.

Used by the PGP rules (at the chain) and by delivery; each opens the post in memory
and keeps nothing secret anywhere Mailman writes to disk.
"""
