# Test that the PGP posting pipeline checks first that a post is the one its chain checked, then
# runs Mailman's posting pipeline without the handlers that alter the body or send it out in the
# clear, with the plugin's digest, subject prefix and member recipients handlers in the place of
# Mailman's, in order.

from mailman.config import config
from mailman.pipelines.builtin import PostingPipeline

from mailman_pgp.pipelines.pgp_posting_pipeline import BODY_HANDLERS

BODY_ALTERING = {"mime-delete", "decorate"}
SENT_OUT_IN_THE_CLEAR = {"to-usenet"}


def test_no_handler_alters_the_body_or_sends_it_out_in_the_clear(mailman):
    names = [handler.name for handler in config.pipelines["pgp-posting-pipeline"]]
    assert not (set(names) & (BODY_ALTERING | SENT_OUT_IN_THE_CLEAR))
    assert BODY_HANDLERS == BODY_ALTERING | SENT_OUT_IN_THE_CLEAR


def test_the_check_of_the_post_comes_before_any_stock_handler(mailman):
    names = [handler.name for handler in config.pipelines["pgp-posting-pipeline"]]
    # Only the archiver rows come before it: they commit alone, nothing of the post.
    assert names[:2] == ["pgp-archiver-rows", "pgp-checked-post"]


def test_archive_stays_and_digest_is_the_plugins_in_mailmans_place(mailman):
    names = [handler.name for handler in config.pipelines["pgp-posting-pipeline"]]
    stock = [handler.name for handler in config.pipelines["default-posting-pipeline"]]
    assert "to-archive" in names
    assert "to-digest" not in names
    # After the plugin's two handlers that come first.
    assert names.index("pgp-to-digest") - 2 == stock.index("to-digest") - len(
        [name for name in stock[:stock.index("to-digest")] if name in BODY_HANDLERS])


def test_every_other_stock_handler_stays_in_order(mailman):
    names = [handler.name for handler in config.pipelines["pgp-posting-pipeline"]]
    stock = [handler.name for handler in config.pipelines["default-posting-pipeline"]]
    ours = {"to-digest": "pgp-to-digest", "subject-prefix": "pgp-subject-prefix",
            "member-recipients": "pgp-member-recipients"}
    expected = [ours.get(name, name)
                for name in stock if name not in BODY_ALTERING | SENT_OUT_IN_THE_CLEAR]
    assert names[2:] == expected
    for header_handler in ("cook-headers", "pgp-subject-prefix", "rfc-2369",
                           "pgp-member-recipients", "avoid-duplicates", "to-outgoing"):
        assert header_handler in names
    assert list(PostingPipeline._default_handlers) == stock
