# Test that a PGP list's posts are archived only encrypted, to the list key and the list's archive
# keys, in the plugin's Maildir under var/archives/pgp/, while every other archiver gets nothing
# unless the list turns archive_plaintext on, and then the plaintext; other lists as before.

import shutil
from email import message_from_bytes
from mailbox import Maildir
from pathlib import Path
from uuid import uuid4

import pytest

from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.runners.tests.test_digest import protected_post, run
from mailman_pgp.testing.at_rest import scan
from mailman_pgp.testing.client_mail import split_signed_raw

PROTOTYPE_ON = """
[archiver.prototype]
enable: yes
"""


def marker() -> str:
    return f"secret-{uuid4().hex}"


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("alice", "alice@example.com")
    cast.add("bob", "bob@example.com")
    cast.add("archivist", "archivist@example.org")
    yield cast
    cast.close()


@pytest.fixture
def prototype_on(mailman):
    """The prototype archiver on, and no archive left by an earlier test."""
    from mailman.config import config

    shutil.rmtree(var_dir() / "archives", ignore_errors=True)
    config.push("prototype on", PROTOTYPE_ON)
    yield
    config.pop("prototype on")


@pytest.fixture
def scenario(mailman, people, prototype_on):
    from mailman.database.transaction import transaction
    from mailman.interfaces.mailinglist import IListArchiverSet

    scene = PGPListScenario(mailman, people)
    scene.subscribe("alice", "bob")
    with transaction():
        IListArchiverSet(scene.mlist).get("prototype").is_enabled = True
    return scene


def var_dir() -> Path:
    from mailman.config import config

    return Path(config.VAR_DIR)


def archived(list_id: str) -> list[bytes]:
    from mailman_pgp.archivers.pgp_archive import archive_path

    path = archive_path(list_id)
    if not path.exists():
        return []
    return [message.as_bytes() for message in Maildir(str(path), factory=None)]


def prototype_archive(scenario) -> list[bytes]:
    path = var_dir() / "archives" / "prototype" / scenario.mlist.fqdn_listname
    return [] if not path.exists() else [m.as_bytes() for m in Maildir(str(path), factory=None)]


def post_and_archive(scenario, people, subject: str, text: str) -> None:
    raw = protected_post(scenario, people["bob"], subject, text)
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    run("archive")


def test_the_archiver_and_runner_are_configured_without_site_settings(mailman):
    from mailman.config import config

    from mailman_pgp.archivers.pgp_archive import ARCHIVER_CLASS
    from mailman_pgp.runners.archive import RUNNER_CLASS

    assert getattr(config, "runner.archive")["class"] == RUNNER_CLASS
    section = getattr(config, "archiver.pgp")
    assert section["class"] == ARCHIVER_CLASS
    assert section["enable"] == "yes"


def test_the_archiver_provides_iarchiver(mailman):
    from mailman.config import config
    from mailman.interfaces.archiver import IArchiver
    from zope.interface.verify import verifyObject

    [archiver] = [archiver for archiver in config.archivers if archiver.name == "pgp"]
    assert verifyObject(IArchiver, archiver)
    assert archiver.is_enabled


def test_a_post_is_archived_encrypted_to_the_list_and_archive_keys(scenario, people):
    from mailman.database.transaction import transaction

    from mailman_pgp.app.archive_keys import add_archive_key

    archivist = people["archivist"]
    with transaction():
        add_archive_key(scenario.mlist.list_id, archivist.client.export(archivist.email))
    secret, subject = marker(), marker()
    post_and_archive(scenario, people, subject, f"The body says {secret}.")

    [copy] = archived(scenario.mlist.list_id)
    msg = message_from_bytes(copy)
    assert msg.get_content_type() == "multipart/encrypted"
    assert msg["Subject"] == "[...]"
    assert msg["From"] is None
    assert secret.encode() not in copy and subject.encode() not in copy
    # The archivist reads it with their own key; the list signed it.
    opened = archivist.client.decrypt(msg.get_payload(1).get_payload().encode("ascii"))
    assert opened.has("DECRYPTION_OKAY"), opened.stderr
    signed, signature = split_signed_raw(opened.output)
    archivist.client.import_key(scenario.list_key)
    checked = archivist.client.verify_detached(signature, signed)
    assert checked.has("GOODSIG")
    inner = message_from_bytes(signed)
    assert inner["Subject"] == subject
    assert inner["From"] == "bob@example.com"
    assert secret in inner.get_payload(decode=True).decode()
    # A member's key does not open it: only the list key and the archive keys do.
    assert not people["alice"].client.decrypt(
        msg.get_payload(1).get_payload().encode("ascii")).has("DECRYPTION_OKAY")
    # Nothing else got the post, and nothing under var/ holds its plaintext.
    assert prototype_archive(scenario) == []
    assert scan(var_dir(), [secret, subject]) == []


def test_with_archive_plaintext_the_other_archivers_get_the_plaintext(scenario, people):
    from mailman.database.transaction import transaction

    with transaction():
        scenario.pgp_list.archive_plaintext = True
    secret, subject = marker(), marker()
    post_and_archive(scenario, people, subject, f"The body says {secret}.")

    [plain] = prototype_archive(scenario)
    msg = message_from_bytes(plain)
    assert msg["Subject"] == subject
    assert secret in msg.get_payload(decode=True).decode()
    assert len(archived(scenario.mlist.list_id)) == 1


def test_a_list_that_is_not_a_pgp_list_is_archived_as_mailman_does(mailman, prototype_on):
    from mailman.app.lifecycle import create_list
    from mailman.database.transaction import transaction
    from mailman.email.message import Message
    from mailman.interfaces.mailinglist import IListArchiverSet

    from mailman_pgp.archivers.pgp_archive import archive_path

    with transaction():
        plain = create_list("plain@example.com")
        IListArchiverSet(plain).get("prototype").is_enabled = True
    msg = Message()
    msg["From"] = "anne@example.com"
    msg["Message-ID"] = "<plain@example.com>"
    msg.set_payload("a plain post\n")
    from mailman.config import config

    config.switchboards["archive"].enqueue(msg, listid=plain.list_id)
    run("archive")
    path = var_dir() / "archives" / "prototype" / plain.fqdn_listname
    assert len(list(Maildir(str(path), factory=None))) == 1
    assert not archive_path(plain.list_id).exists()


def test_a_post_the_list_cannot_open_is_kept_in_shunt_not_archived(scenario, people):
    from mailman.config import config
    from mailman.email.message import Message

    people["bob"].client.import_key(people["alice"].client.export(people["alice"].email))
    raw = scenario.pgp_mime_post(people["bob"], "not for the list",
                                 encrypt_to=people["alice"].fingerprint)
    config.switchboards["archive"].enqueue(message_from_bytes(raw, Message),
                                           listid=scenario.mlist.list_id)
    run("archive")
    assert archived(scenario.mlist.list_id) == []
    assert prototype_archive(scenario) == []
    assert len(config.switchboards["shunt"].files) == 1
