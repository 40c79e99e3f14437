# Test that nothing Mailman and the plugin keep on disk holds the plaintext of an encrypted post:
# posts with marker strings in their protected Subject and body, made with GnuPG, go through real
# Mailman runners (delivered with a retry, held and approved, held and rejected, digested and the
# digest sent, archived, held and left waiting, shunted at delivery), then every file under var/
# and every row of the database is scanned.

from pathlib import Path
from uuid import uuid4

import pytest

from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.runners.tests.test_digest import protected_post, run, send_digest
from mailman_pgp.testing.at_rest import files_under, scan, scan_database
from mailman_pgp.testing.client_mail import read_as


def marker(what: str) -> str:
    return f"{what}-{uuid4().hex}"


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("alice", "alice@example.com")
    cast.add("bob", "bob@example.com")
    cast.add("dora", "dora@example.com")
    cast.add("mallory", "mallory@example.com")
    cast.add("archivist", "archivist@example.org")
    yield cast
    cast.close()


def test_no_plaintext_of_an_encrypted_post_is_kept_anywhere(mailman, people, monkeypatch):
    from mailman.app.moderator import handle_message
    from mailman.config import config
    from mailman.database.transaction import transaction
    from mailman.interfaces.action import Action
    from mailman.interfaces.member import DeliveryMode
    from mailman.interfaces.requests import IListRequests, RequestType

    from mailman_pgp.app.archive_keys import add_archive_key
    from mailman_pgp.app.keys import set_address_key

    scenario = PGPListScenario(mailman, people)
    scenario.subscribe("alice", "bob", "dora")
    # Mailman's test layers keep var/archives/ from test to test.
    archive = Path(config.ARCHIVE_DIR) / "pgp" / scenario.mlist.list_id
    archived_before = set(files_under(archive))
    archivist, mallory = people["archivist"], people["mallory"]
    with transaction():
        scenario.mlist.members.get_member("dora@example.com").preferences.delivery_mode = (
            DeliveryMode.mime_digests)
        scenario.mlist.default_nonmember_action = Action.hold
        add_archive_key(scenario.mlist.list_id, archivist.client.export(archivist.email))
        set_address_key(mallory.email, mallory.client.export(mallory.email), confirmed=True)
    markers: list[str] = []

    def post(sender: str, what: str) -> tuple[str, str]:
        subject, body = marker(f"{what}-subject"), marker(f"{what}-body")
        markers.extend((subject, body))
        raw = protected_post(scenario, people[sender], subject, f"Text: {body}")
        assert scenario.send_by_lmtp(raw) == {}
        return subject, body

    # Delivered, with a temporary failure for one member on the way: the retry queue.
    mailman.err_queue.put(("rcpt", 450))
    delivered_subject, delivered_body = post("bob", "delivered")
    scenario.run_queues()
    assert config.switchboards["retry"].files, "a copy waits in the retry queue"
    # Opened at delivery, then the server fails (the disk is full, say): the out runner
    # shunts the post as it came, and the shunt queue must hold only that.
    from mailman_pgp.mta import pgp_delivery

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    with monkeypatch.context() as failing:
        failing.setattr(pgp_delivery, "post_copy", disk_full)
        post("bob", "shunted")
        scenario.run_queues()
    assert config.switchboards["shunt"].files, "the post waits in the shunt queue"
    # Three held posts of a nonmember: one approved, one rejected, one left waiting.
    approved_subject, _ = post("mallory", "approved")
    post("mallory", "rejected")
    post("mallory", "waiting")
    scenario.run_queues()
    held = [request.id for request in
            IListRequests(scenario.mlist).of_type(RequestType.held_message)]
    assert len(held) == 3
    with transaction():
        handle_message(scenario.mlist, held[0], Action.accept)
        handle_message(scenario.mlist, held[1], Action.reject, "Not this one.")
    scenario.run_queues()
    send_digest(scenario)
    scenario.run_queues()
    run("archive")

    delivered = scenario.delivered()
    # Each stage happened: the post delivered, the approved one too, the digest sent to
    # Dora, three posts in the encrypted archive (the delivered one, the approved one, and the
    # shunted one, archived by the pipeline before its delivery failed).
    def subjects(name: str) -> list[str]:
        return [str(read_as(people[name].client, copy)["Subject"])
                for copy in delivered[people[name].email]]

    # Alice's copy of the first post waits in the retry queue; Bob has it.
    assert any(delivered_subject in subject for subject in subjects("bob"))
    assert any(approved_subject in subject for subject in subjects("alice"))
    [digest] = delivered["dora@example.com"]
    assert delivered_body in read_as(people["dora"].client, digest).as_string()
    assert len(set(files_under(archive)) - archived_before) == 3

    var = Path(config.VAR_DIR)
    checked = {path.relative_to(var).parts[0] for path in files_under(var)}
    # On SQLite the database is a file under data/; PostgreSQL's rows are scanned below.
    on_sqlite = str(config.db.engine.url).startswith("sqlite")
    assert {"queue", "archives", "messages", "logs", *(["data"] if on_sqlite else [])} <= checked
    assert scan(var, markers) == []
    assert scan_database(config.db.engine, markers) == []
