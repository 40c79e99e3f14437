# Test that REST shows a post a PGP list holds decrypted (protected Subject, text, signature),
# answers 404 saying what is missing, and that a held post approved through Mailman's stock
# REST reaches the members encrypted through the real runners while a rejected one reaches
# nobody and its author learns it in a notice encrypted to them that quotes nothing of it.

from __future__ import annotations

from urllib.error import HTTPError
from uuid import uuid4

import pytest
from mailman.config import config
from mailman.interfaces.action import Action
from mailman.interfaces.member import MemberRole
from mailman.interfaces.requests import IListRequests, RequestType
from mailman.testing.helpers import call_api

from mailman_pgp.chains.tests.test_pgp_hold import add_role, protected
from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.client_mail import read_as, text_of


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    cast.add("bea", "bea@example.com")
    cast.add("mona", "mona@example.com")
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman_rest, people):
    from mailman.database.transaction import transaction

    scene = PGPListScenario(mailman_rest, people)
    scene.subscribe("anne", "bea")
    with transaction():
        add_role(scene, "mona", MemberRole.moderator, key=True)
        scene.mlist.default_member_action = Action.hold
    return scene


def hold(scenario, people) -> tuple[int, str, str]:
    """Hold a post by anne with a protected Subject; its request id, secret and Subject."""
    secret, subject = f"rest-secret-{uuid4().hex}", f"Protected {uuid4().hex}"
    raw = scenario.pgp_mime_post(people["anne"], "", subject="...",
                                 inner=protected(subject, f"Dear list, Grüße,\n{secret}\n"))
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    scenario.smtpd.clear()
    [request] = IListRequests(scenario.mlist).of_type(RequestType.held_message)
    return request.id, secret, subject


def held_url(rest_url, list_id: str, request_id: int | str) -> str:
    return rest_url(f"3.1/plugins/pgp/lists/{list_id}/held/{request_id}")


def api_error(url: str, **kws) -> tuple[int, str]:
    with pytest.raises(HTTPError) as caught:
        call_api(url, **kws)
    # Mailman's call_api puts the JSON description in the error's reason.
    return caught.value.code, caught.value.reason


def test_a_held_post_is_shown_decrypted_with_its_protected_subject(rest_url, scenario, people):
    request_id, secret, subject = hold(scenario, people)
    list_id = scenario.mlist.list_id
    content, _ = call_api(held_url(rest_url, list_id, request_id))

    assert (content["list_id"], content["request_id"]) == (list_id, request_id)
    assert content["sender"] == "anne@example.com"
    assert "moderated member" in content["reason"]
    assert (content["encrypted"], content["opened"], content["problem"]) == (True, True, None)
    assert content["subject"] == subject
    assert content["outer_subject"] == "..."
    assert content["headers"]["Subject"] == subject
    assert content["headers"]["From"] == "anne@example.com"
    [part] = content["parts"]
    assert part["content_type"] == "text/plain"
    assert part["text"] == f"Dear list, Grüße,\r\n{secret}\r\n"
    assert secret in content["msg"]
    assert "Grüße" in content["msg"]
    signature = content["signature"]
    assert signature["status"] == "good"
    assert signature["signed_by_sender"] is True
    assert signature["sender_key"] == people["anne"].fingerprint
    assert content["self_link"] == held_url(rest_url, list_id, request_id)
    assert content["moderation_link"] == rest_url(f"3.1/lists/{list_id}/held/{request_id}")
    # Mailman's own resource shows the same post as it is stored: encrypted.
    stock, _ = call_api(content["moderation_link"])
    assert secret not in stock["msg"]
    assert "BEGIN PGP MESSAGE" in stock["msg"]


def test_what_is_not_there_answers_404_saying_what(rest_url, scenario, people):
    from mailman.app.lifecycle import create_list
    from mailman.database.transaction import transaction

    request_id, _, _ = hold(scenario, people)
    with transaction():
        create_list("plain@example.com")
    list_id = scenario.mlist.list_id
    cases = [
        (held_url(rest_url, "nothere.example.com", request_id),
         "No mailing list nothere.example.com."),
        (held_url(rest_url, "plain.example.com", request_id),
         "plain.example.com is not a PGP list."),
        (held_url(rest_url, list_id, request_id + 1), f"{list_id} holds no message"),
        (held_url(rest_url, list_id, "abc"), f"{list_id} holds no message abc."),
        (held_url(rest_url, list_id, 2 ** 40), f"{list_id} holds no message"),
    ]
    for url, description in cases:
        code, body = api_error(url)
        assert code == 404, url
        assert description in body, url


def test_an_approved_held_post_reaches_the_members_encrypted(rest_url, scenario, people):
    request_id, secret, subject = hold(scenario, people)
    list_id = scenario.mlist.list_id
    call_api(rest_url(f"3.1/lists/{list_id}/held/{request_id}"), {"action": "accept"})
    config.db.abort()
    scenario.run_queues()
    delivered = scenario.delivered()

    assert sorted(delivered) == ["anne@example.com", "bea@example.com"]
    for name in ("anne", "bea"):
        [copy] = delivered[people[name].email]
        assert copy.get_content_type() == "multipart/encrypted"
        assert secret.encode() not in copy.as_bytes()
        assert secret in text_of(read_as(people[name].client, copy))
    assert list(IListRequests(scenario.mlist).of_type(RequestType.held_message)) == []


def test_a_rejected_held_post_reaches_nobody_and_its_author_is_told_encrypted(
        rest_url, scenario, people):
    request_id, secret, subject = hold(scenario, people)
    list_id = scenario.mlist.list_id
    call_api(rest_url(f"3.1/lists/{list_id}/held/{request_id}"),
             {"action": "reject", "comment": "Off topic."})
    config.db.abort()
    scenario.run_queues()
    delivered = scenario.delivered()

    assert list(delivered) == ["anne@example.com"]
    [notice] = delivered["anne@example.com"]
    assert notice.get_content_type() == "multipart/encrypted"
    text = text_of(read_as(people["anne"].client, notice))
    assert "Off topic." in text
    for absent in (secret, subject):
        assert absent not in text
        assert absent.encode() not in notice.as_bytes()
