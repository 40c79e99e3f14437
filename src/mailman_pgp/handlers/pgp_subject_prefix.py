"""Mailman's subject prefix on a PGP list post, with the post's number kept for its copies."""

from mailman.handlers.subject_prefix import SubjectPrefix
from mailman.interfaces.handler import IHandler
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_
from mailman_pgp.posting.post_number import POST_ID


@public
@implementer(IHandler)
class PGPSubjectPrefix:
    """See `IHandler`: Mailman's ``subject-prefix``, and the list's post number in msgdata.

    The Subject members read is the one inside the encryption, which delivery prefixes
    (`mailman_pgp.mta.member_copy`); by then ``after-delivery`` has counted the post, so
    a prefix numbering posts (``%d``) takes the number recorded here.
    """

    name = "pgp-subject-prefix"
    description = N_("Add the list's subject prefix and record the post's number.")

    def process(self, mlist, msg, msgdata) -> None:
        """See `IHandler`."""
        msgdata[POST_ID] = mlist.post_id
        SubjectPrefix().process(mlist, msg, msgdata)
