# Test that a member of a PGP list without a usable confirmed key (none, or a revoked one) gets,
# instead of a post, a notice that it was withheld and how to set a key, with nothing of the
# post; at most once a day per member and list; and that only posts draw it.

from uuid import uuid4

import pytest
from mailman.utilities.datetime import factory

from mailman_pgp.mta.keyless_notice import tell_withheld
from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.client_mail import read_as, text_of


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    cast.add("carl", "carl@example.com", keyless=True)
    cast.add("dave", "dave@example.com")
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    from mailman.database.transaction import transaction

    from mailman_pgp.app.keys import set_address_key

    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne", "carl")
    scene.subscribe("dave", keys=False)
    valid, revoked = DaveKey.exports(people["dave"])
    with transaction():
        set_address_key("dave@example.com", valid, confirmed=True)
        # The list learns that dave's confirmed key has been revoked: no copies to it.
        set_address_key("dave@example.com", revoked, confirmed=True)
    return scene


class DaveKey:
    """dave's key as his gpg exports it, before and after he revoked it; made once."""

    made: tuple[str, str] | None = None

    @classmethod
    def exports(cls, dave) -> tuple[str, str]:
        if cls.made is None:
            valid = dave.client.export(dave.email)
            dave.client.revoke(dave.fingerprint)
            cls.made = (valid, dave.client.export(dave.email))
        return cls.made


def post(scenario, people) -> tuple[dict, str, str]:
    secret, subject = f"withheld-{uuid4().hex}", f"Subject {uuid4().hex}"
    scenario.smtpd.clear()
    assert scenario.send_by_lmtp(
        scenario.pgp_mime_post(people["anne"], f"{secret}\n", subject=subject)) == {}
    scenario.run_queues()
    return scenario.delivered(), secret, subject


def test_a_member_without_a_usable_key_is_told_a_post_was_withheld_and_how_to_set_one(
        scenario, people):
    delivered, secret, subject = post(scenario, people)

    [copy] = delivered["anne@example.com"]
    assert secret in text_of(read_as(people["anne"].client, copy))
    for email in ("carl@example.com", "dave@example.com"):
        [notice] = delivered[email]
        assert notice.get_content_type() == "text/plain"
        assert notice["Subject"] == "A message to Crypto was withheld from you"
        text = text_of(notice)
        assert f"no usable\nconfirmed key for your address {email}" in text
        assert '"key change"' in text
        assert "crypto-request@example.com" in text
        raw = notice.as_bytes()
        for absent in (secret, subject, "anne@example.com", "BEGIN PGP MESSAGE"):
            assert absent.encode() not in raw


def test_the_notice_comes_at_most_once_a_day_per_member(scenario, people):
    first, _, _ = post(scenario, people)
    assert len(first["carl@example.com"]) == 1

    later, _, _ = post(scenario, people)
    assert "carl@example.com" not in later
    assert "dave@example.com" not in later
    assert len(later["anne@example.com"]) == 1

    factory.fast_forward(days=1)
    next_day, _, _ = post(scenario, people)
    assert len(next_day["carl@example.com"]) == 1
    assert len(next_day["dave@example.com"]) == 1


def test_the_day_is_counted_per_list(scenario, people):
    from mailman.app.lifecycle import create_list
    from mailman.database.transaction import transaction

    from mailman_pgp.app.lists import make_pgp_list

    post(scenario, people)
    with transaction():
        other = create_list("other@example.com")
        make_pgp_list(other)
    told = tell_withheld(other, {"pgp_post_check": _opened_check()}, ["carl@example.com"])
    assert told == ["carl@example.com"]


def test_only_posts_draw_the_notice(scenario):
    assert tell_withheld(scenario.mlist, {}, ["carl@example.com"]) == []
    assert tell_withheld(scenario.mlist, {"recipients": {"carl@example.com"}},
                         ["carl@example.com"]) == []


def _opened_check() -> dict:
    from mailman_pgp.openpgp import SignatureStatus
    from mailman_pgp.posting.check import CheckOutcome, PostCheck

    msgdata: dict = {}
    PostCheck(CheckOutcome.OPENED, "anne@example.com", "d" * 64,
              SignatureStatus.GOOD).save(msgdata)
    return msgdata["pgp_post_check"]
