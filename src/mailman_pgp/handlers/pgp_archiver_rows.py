"""A PGP list's archiver rows, made and committed before its post goes on to other runners."""

from mailman.config import config
from mailman.interfaces.handler import IHandler
from mailman.interfaces.mailinglist import IListArchiverSet
from mailman.model.mailinglist import ListArchiver
from public import public
from zope.interface import implementer

from mailman_pgp.i18n import N_


@public
@implementer(IHandler)
class PGPArchiverRows:
    """See `IHandler`: make the list's missing archiver rows, and commit them at once.

    Mailman makes a list's rows of archiver settings when a process first asks for them
    (`IListArchiverSet`), and its table has no unique constraint. On a PGP list the out
    runner (decorations) and the archive runner ask for them at the same moment, once
    this runner has queued the post and before it commits: both would add them, and
    every later lookup would fail (``MultipleResultsFound``), every later post with it.
    A list made a PGP list has them (`mailman_pgp.app.lists.make_pgp_list`); this makes
    those of a list made PGP by an earlier version, or of an archiver the site enabled
    since. First in the pipeline, so the commit holds nothing of the post.
    """

    name = "pgp-archiver-rows"
    description = N_("Make the list's archiver settings before the post reaches other runners.")

    def process(self, mlist, msg, msgdata) -> None:
        """See `IHandler`."""
        if missing_archiver_rows(mlist):
            IListArchiverSet(mlist)
            config.db.commit()


@public
def missing_archiver_rows(mlist) -> set[str]:
    """The names of the site's archivers that have no row for ``mlist`` yet."""
    present = config.db.store.query(ListArchiver.name).filter(
        ListArchiver.mailing_list == mlist)
    return {archiver.name for archiver in config.archivers} - {name for (name,) in present}
