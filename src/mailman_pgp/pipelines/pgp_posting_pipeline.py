"""The posting pipeline of a PGP list: Mailman's, without the handlers that touch the body."""

from mailman.pipelines.base import BasePipeline
from mailman.pipelines.builtin import PostingPipeline
from public import public

from mailman_pgp.i18n import N_

# Handlers that alter the body (content filtering, header/footer decoration) or copy
# it somewhere outside the list (archives, digests, Usenet). Header handlers stay.
BODY_HANDLERS = frozenset({"mime-delete", "decorate", "to-archive", "to-digest", "to-usenet"})


@public
class PGPPostingPipeline(BasePipeline):
    """See `IPipeline`."""

    name = "pgp-posting-pipeline"
    description = N_(
        "The posting pipeline of a PGP list: headers only, the body stays as it arrived.")

    # First the check that this is the post the posting chain checked (a held post
    # comes back by Message-ID), then Mailman's handlers that leave the body alone.
    _default_handlers = ("pgp-checked-post",) + tuple(
        handler for handler in PostingPipeline._default_handlers if handler not in BODY_HANDLERS
    )
