"""OpenPGP-encrypted mailing lists for GNU Mailman 3."""
