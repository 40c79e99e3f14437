# Test that the PGP posting pipeline checks first that a post is the one its chain checked, then
# runs Mailman's posting pipeline without the handlers that alter or copy the body, in order.

from mailman.config import config
from mailman.pipelines.builtin import PostingPipeline

from mailman_pgp.pipelines.pgp_posting_pipeline import BODY_HANDLERS

BODY_ALTERING = {"mime-delete", "decorate"}
BODY_COPYING = {"to-archive", "to-digest", "to-usenet"}


def test_no_handler_alters_or_copies_the_body(mailman):
    names = [handler.name for handler in config.pipelines["pgp-posting-pipeline"]]
    assert not (set(names) & (BODY_ALTERING | BODY_COPYING))
    assert BODY_HANDLERS == BODY_ALTERING | BODY_COPYING


def test_the_check_of_the_post_comes_before_any_stock_handler(mailman):
    names = [handler.name for handler in config.pipelines["pgp-posting-pipeline"]]
    assert names[0] == "pgp-checked-post"


def test_every_other_stock_handler_stays_in_order(mailman):
    names = [handler.name for handler in config.pipelines["pgp-posting-pipeline"]]
    stock = [handler.name for handler in config.pipelines["default-posting-pipeline"]]
    assert names[1:] == [name for name in stock if name not in BODY_ALTERING | BODY_COPYING]
    for header_handler in ("cook-headers", "subject-prefix", "rfc-2369", "member-recipients",
                           "to-outgoing"):
        assert header_handler in names
    assert list(PostingPipeline._default_handlers) == stock
