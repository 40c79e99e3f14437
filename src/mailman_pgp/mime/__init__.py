"""RFC 3156 PGP/MIME and inline PGP over Python's email package. No Mailman imports."""
