"""Where a PGP list post's number travels from the posting pipeline to its delivery."""

# msgdata key: the list's post number (``post_id``) when the posting pipeline put the
# subject prefix on (`PGPSubjectPrefix`); by delivery, ``after-delivery`` has counted the
# post, so a prefix numbering posts (``%d``) on the copies takes this number.
POST_ID = "pgp_post_id"
