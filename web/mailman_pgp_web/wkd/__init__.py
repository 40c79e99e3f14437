"""Web Key Directory (draft-koch-openpgp-webkey-service) for the keys of PGP lists.

`hashing` computes the WKD names of an address; `directory` finds which list key a name
means (an index cached in Django's cache); `rest_source` reads lists and keys from
Mailman's REST; `armor` turns the armored key to the binary WKD serves; `views` answers the
paths; `events` drops the index when webhook events say PGP lists came or went.
"""
