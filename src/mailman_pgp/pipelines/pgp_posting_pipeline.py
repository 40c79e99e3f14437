"""The posting pipeline of a PGP list: Mailman's, with the body left as it arrived."""

from mailman.pipelines.base import BasePipeline
from mailman.pipelines.builtin import PostingPipeline
from public import public

from mailman_pgp.i18n import N_

# Handlers that alter the body (content filtering, header/footer decoration) or copy it
# out of the list in the clear (Usenet). Header handlers stay, and so does ``to-archive``:
# it queues the post as it is, encrypted, and the plugin's archive runner decides what
# each archiver gets (`mailman_pgp.runners.archive`).
BODY_HANDLERS = frozenset({"mime-delete", "decorate", "to-usenet"})
# Mailman's handlers a PGP list runs its own of, in the same place.
PGP_HANDLERS = {"member-recipients": "pgp-member-recipients", "to-digest": "pgp-to-digest",
                "subject-prefix": "pgp-subject-prefix"}


@public
class PGPPostingPipeline(BasePipeline):
    """See `IPipeline`."""

    name = "pgp-posting-pipeline"
    description = N_(
        "The posting pipeline of a PGP list: headers only, the body stays as it arrived.")

    # First the list's archiver rows, committed alone (`PGPArchiverRows`); then the check
    # that this is the post the posting chain checked (a held post comes back by
    # Message-ID); then Mailman's handlers that leave the body alone.
    _default_handlers = ("pgp-archiver-rows", "pgp-checked-post") + tuple(
        PGP_HANDLERS.get(handler, handler)
        for handler in PostingPipeline._default_handlers if handler not in BODY_HANDLERS
    )
