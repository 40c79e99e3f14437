# Test that a post held on a PGP list reaches each moderator with a key decrypted, in a notice
# encrypted to that moderator and signed by the list, that moderators without a key learn only
# that a post waits, that the author's notice quotes nothing of the post, and that nothing of
# the post lies on disk in the clear; and that every hold and reject on a PGP list's path,
# Mailman's own chains included, leads to the PGP list's own terminal chains.

from email.message import Message
from pathlib import Path
from uuid import uuid4

import pytest
from mailman.config import config
from mailman.core.chains import process
from mailman.interfaces.action import Action
from mailman.interfaces.member import MemberRole
from mailman.interfaces.requests import IListRequests, RequestType

from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.client_mail import read_as, text_of


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    cast.add("mona", "mona@example.com")
    cast.add("kurt", "kurt@example.com", keyless=True)
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    from mailman.database.transaction import transaction

    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne")
    with transaction():
        add_role(scene, "mona", MemberRole.moderator, key=True)
        add_role(scene, "kurt", MemberRole.owner, key=False)
        scene.mlist.default_member_action = Action.hold
    return scene


def add_role(scene: PGPListScenario, name: str, role: MemberRole, *, key: bool) -> None:
    from mailman.interfaces.usermanager import IUserManager
    from mailman.utilities.datetime import now
    from zope.component import getUtility

    from mailman_pgp.app.keys import set_address_key

    person = scene.people[name]
    users = getUtility(IUserManager)
    address = users.get_address(person.email) or users.make_user(person.email).addresses[0]
    address.verified_on = now()
    scene.mlist.subscribe(address, role, send_welcome_message=False)
    if key:
        assert person.client is not None
        set_address_key(person.email, person.client.export(person.email), confirmed=True)


def marker() -> str:
    return f"held-secret-{uuid4().hex}"


def files_holding(root: Path, *secrets: str) -> list[Path]:
    """Every file under ``root`` whose bytes hold one of ``secrets``."""
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(secret.encode() in data for secret in secrets):
                found.append(path)
    return found


def protected(subject: str, text: str) -> bytes:
    """The entity Thunderbird encrypts: the real Subject inside (protected-headers="v1")."""
    return (
        'Content-Type: text/plain; charset=UTF-8; protected-headers="v1"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n"
        f"Subject: {subject}\r\n"
        "From: anne@example.com\r\n\r\n"
    ).encode() + text.replace("\n", "\r\n").encode()


def hold_a_post(scenario, people, text: str, subject: str) -> dict[str, list[Message]]:
    """Post ``text`` with the protected ``subject`` ("..." outside) as anne, to be held."""
    raw = scenario.pgp_mime_post(people["anne"], "", subject="...",
                                 inner=protected(subject, text))
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    return scenario.delivered()


def test_each_moderator_with_a_key_reads_the_held_post_in_a_notice_sealed_to_them(
        scenario, people):
    secret, subject = marker(), f"Subject {marker()}"
    delivered = hold_a_post(scenario, people, f"Hello moderators\n{secret}\n", subject)

    [request] = IListRequests(scenario.mlist).of_type(RequestType.held_message)
    [notice] = delivered["mona@example.com"]
    assert notice.get_content_type() == "multipart/encrypted"
    assert notice["To"] == scenario.mlist.owner_address
    # Signed by the list (read_as checks GOODSIG) and encrypted to mona.
    opened = read_as(people["mona"].client, notice)
    content, list_key = opened.get_payload()
    assert list_key.get_content_type() == "application/pgp-keys"
    text_part, attached = content.get_payload()
    explanation = text_of(text_part)
    assert f"held message {request.id}" in explanation
    assert "From: anne@example.com" in explanation
    assert f"Subject: {subject}" in explanation
    assert "good, by the author's confirmed key " + people["anne"].fingerprint in explanation
    assert "The post is attached, decrypted for you." in explanation
    assert attached.get_content_type() == "message/rfc822"
    [post] = attached.get_payload()
    assert post["Subject"] == subject
    assert post["From"] == "anne@example.com"
    assert secret in text_of(post)
    # Outside the encryption: neither the post nor its Subject.
    assert secret.encode() not in notice.as_bytes()
    assert subject.encode() not in notice.as_bytes()


def test_a_moderator_without_a_key_learns_only_that_a_post_waits(scenario, people):
    secret, subject = marker(), f"Subject {marker()}"
    delivered = hold_a_post(scenario, people, f"{secret}\n", subject)

    [request] = IListRequests(scenario.mlist).of_type(RequestType.held_message)
    [notice] = delivered["kurt@example.com"]
    assert notice.get_content_type() == "text/plain"
    text = text_of(notice)
    assert f"held message {request.id}" in text
    assert "no usable confirmed key for your address\nkurt@example.com" in text
    assert f"/3.1/plugins/pgp/lists/{scenario.mlist.list_id}/held/{request.id}" in text
    raw = notice.as_bytes()
    for absent in (secret, subject, "anne@example.com", "BEGIN PGP MESSAGE"):
        assert absent.encode() not in raw


def test_the_author_is_told_the_post_waits_encrypted_without_its_subject(scenario, people):
    secret, subject = marker(), f"Subject {marker()}"
    delivered = hold_a_post(scenario, people, f"{secret}\n", subject)

    [notice] = delivered["anne@example.com"]
    assert notice.get_content_type() == "multipart/encrypted"
    opened = read_as(people["anne"].client, notice)
    text = text_of(opened)
    assert "waits for a moderator's decision" in text
    assert "The message comes from a moderated member" in text
    # Nothing of the post, neither its text nor its ciphertext, inside or outside.
    assert "BEGIN PGP MESSAGE" not in opened.as_string()
    for absent in (secret, subject):
        assert absent not in opened.as_string()
        assert absent.encode() not in notice.as_bytes()


def test_nothing_of_a_held_post_lies_on_disk_in_the_clear(scenario, people):
    from mailman.runners.incoming import IncomingRunner
    from mailman.testing.helpers import make_testable_runner

    secret, subject = marker(), f"Subject {marker()}"
    raw = scenario.pgp_mime_post(people["anne"], "", subject="...",
                                 inner=protected(subject, f"{secret}\n"))
    assert scenario.send_by_lmtp(raw) == {}
    # The post is held and every notice is queued, none sent yet.
    make_testable_runner(IncomingRunner, "in").run()
    queued = [path for name in ("virgin", "out")
              for path in Path(config.switchboards[name].queue_directory).iterdir()]
    assert len(queued) == 3  # the author's notice, kurt's, and mona's sealed copy
    assert files_holding(Path(config.VAR_DIR), secret, subject) == []
    scenario.run_queues()
    assert set(scenario.delivered()) == {"anne@example.com", "mona@example.com",
                                         "kurt@example.com"}
    assert files_holding(Path(config.VAR_DIR), secret, subject) == []


def test_without_admin_immed_notify_no_moderator_is_told(scenario, people):
    from mailman.database.transaction import transaction

    with transaction():
        scenario.mlist.admin_immed_notify = False
    delivered = hold_a_post(scenario, people, "quiet\n", "quiet")
    assert set(delivered) == {"anne@example.com"}


def test_a_post_held_before_its_check_is_not_attached(scenario, people):
    from mailman.database.transaction import transaction

    # Larger than the list takes before decrypting: held by pgp-too-large, never opened.
    with transaction():
        scenario.mlist.max_message_size = 1
    secret = marker()
    delivered = hold_a_post(scenario, people, f"{secret}\n" + "x" * 2048, "big")

    [notice] = delivered["mona@example.com"]
    opened = read_as(people["mona"].client, notice)
    content, _ = opened.get_payload()
    assert content.get_content_type() == "multipart/mixed"
    [text_part] = content.get_payload()
    text = text_of(text_part)
    assert "The post is not attached: The list has not opened this post" in text
    assert "Signature: not checked yet" in text
    assert secret not in opened.as_string()


@pytest.mark.parametrize(("action", "terminal"), [(Action.hold, "pgp-hold"),
                                                  (Action.reject, "pgp-reject")])
def test_mailmans_own_moderation_ends_in_the_pgp_lists_terminal_chains(
        scenario, people, action, terminal):
    from email import message_from_bytes

    from mailman.database.transaction import transaction
    from mailman.email.message import Message as MailmanMessage

    with transaction():
        scenario.mlist.default_member_action = action
    reached = []
    chain = config.chains[terminal]
    original = chain._process
    chain._process = lambda *args: reached.append(terminal)
    try:
        msg = message_from_bytes(scenario.pgp_mime_post(people["anne"], "moderated\n"),
                                 MailmanMessage)
        process(scenario.mlist, msg, {}, "pgp-posting-chain")
    finally:
        del chain._process
    assert chain._process == original
    assert reached == [terminal]


def test_a_post_a_pgp_policy_holds_reaches_moderators_with_its_signature_result(
        scenario, people):
    from mailman.database.transaction import transaction
    from zope.component import getUtility

    from mailman_pgp.interfaces.lists import IPGPListManager

    with transaction():
        scenario.mlist.default_member_action = Action.defer
        getUtility(IPGPListManager).get(scenario.mlist.list_id).unsigned_action = Action.hold
    secret = marker()
    raw = scenario.pgp_mime_post(people["anne"], f"{secret}\n", subject="unsigned", sign=False)
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    delivered = scenario.delivered()

    [notice] = delivered["mona@example.com"]
    content, _ = read_as(people["mona"].client, notice).get_payload()
    text_part, attached = content.get_payload()
    assert "Signature: none: the post is not signed" in text_of(text_part)
    [post] = attached.get_payload()
    assert secret in text_of(post)
    assert secret.encode() not in notice.as_bytes()
