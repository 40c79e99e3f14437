# Test that a PGP list's digests are collected encrypted, built by Mailman's digest code from the
# posts opened in memory, queued sealed to the list key, and sent to each digest member with a
# key as a copy encrypted to that key and signed by the list; keyless digest members get nothing.

from email import message_from_bytes
from email.message import Message
from pathlib import Path
from uuid import uuid4

import pytest

from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.at_rest import scan
from mailman_pgp.testing.client_mail import read_as


def marker() -> str:
    return f"secret-{uuid4().hex}"


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("alice", "alice@example.com")
    cast.add("bob", "bob@example.com")
    cast.add("dora", "dora@example.com")
    cast.add("carol", "carol@example.com", keyless=True)
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    from mailman.database.transaction import transaction
    from mailman.interfaces.member import DeliveryMode

    scene = PGPListScenario(mailman, people)
    scene.subscribe("alice", "bob", "carol", "dora")
    with transaction():
        for email, mode in (("alice@example.com", DeliveryMode.mime_digests),
                            ("dora@example.com", DeliveryMode.plaintext_digests),
                            ("carol@example.com", DeliveryMode.mime_digests)):
            scene.mlist.members.get_member(email).preferences.delivery_mode = mode
    return scene


def protected_post(scenario, sender, subject: str, text: str) -> bytes:
    """A post whose Subject travels only inside the encryption (RFC 9788), outside ``[...]``."""
    inner = (f'Content-Type: text/plain; charset="utf-8"; protected-headers="v1"\r\n'
             f"Subject: {subject}\r\n\r\n{text}\r\n").encode()
    return scenario.pgp_mime_post(sender, text, subject="[...]", inner=inner)


def run(name: str) -> None:
    """Run the runner configured for queue ``name`` over what the queue holds."""
    from mailman.config import config
    from mailman.testing.helpers import make_testable_runner
    from mailman.utilities.modules import find_name

    runner_class = find_name(getattr(config, f"runner.{name}")["class"])
    make_testable_runner(runner_class, name).run()


def send_digest(scenario) -> None:
    from mailman.app.digests import maybe_send_digest_now
    from mailman.database.transaction import transaction

    with transaction():
        maybe_send_digest_now(scenario.mlist, force=True)
    run("digest")


def var_dir() -> Path:
    from mailman.config import config

    return Path(config.VAR_DIR)


def test_the_runners_of_a_pgp_list_are_the_plugins(mailman):
    from mailman.config import config

    from mailman_pgp.runners.digest import RUNNER_CLASS

    assert getattr(config, "runner.digest")["class"] == RUNNER_CLASS


def test_a_digest_member_with_a_key_gets_the_digest_encrypted_and_signed(scenario, people):
    secret, subject = marker(), marker()
    raw = protected_post(scenario, people["bob"], subject, f"The body says {secret}.")
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    # Bob gets the post itself; the digest members do not.
    assert sorted(scenario.delivered()) == ["bob@example.com"]
    mailbox = Path(scenario.mlist.data_path) / "digest.mmdf"
    collected = mailbox.read_bytes()
    assert b"-----BEGIN PGP MESSAGE-----" in collected
    assert scan(Path(scenario.mlist.data_path), [secret, subject]) == []

    scenario.smtpd.clear()
    send_digest(scenario)
    from mailman.config import config

    # Both digests wait in the virgin queue, sealed to the list key.
    assert len(config.switchboards["virgin"].files) == 2
    assert scan(var_dir() / "queue", [secret, subject]) == []
    scenario.run_queues()
    delivered = scenario.delivered()

    assert sorted(delivered) == ["alice@example.com", "dora@example.com"]
    [mime_digest] = delivered["alice@example.com"]
    assert mime_digest.get_content_type() == "multipart/encrypted"
    assert secret.encode() not in mime_digest.as_bytes()
    assert subject.encode() not in mime_digest.as_bytes()
    opened = read_as(people["alice"].client, mime_digest)
    assert opened.get_content_type() == "multipart/mixed"
    digest_part = next(part for part in opened.walk()
                       if part.get_content_type() == "multipart/digest")
    [post] = digest_part.get_payload()
    inner = post.get_payload(0)
    assert inner["Subject"] == subject
    assert secret in _texts(inner)
    toc = next(part for part in opened.get_payload()
               if "Today's Topics" in str(part.get("Content-Description", "")))
    assert subject in _texts(toc)

    [plain_digest] = delivered["dora@example.com"]
    assert plain_digest.get_content_type() == "multipart/encrypted"
    plain = read_as(people["dora"].client, plain_digest)
    assert plain.get_content_type() == "text/plain"
    assert secret in _texts(plain)
    assert f"Subject: {subject}" in _texts(plain)
    assert not (Path(scenario.mlist.data_path) / "digest.mmdf").exists()
    assert scan(var_dir(), [secret, subject]) == []


def test_a_post_that_arrived_in_the_clear_is_collected_sealed(scenario, people):
    from mailman.database.transaction import transaction
    from mailman.email.message import Message as MailmanMessage

    from mailman_pgp.handlers.pgp_to_digest import PGPToDigest

    secret = marker()
    plain = message_from_bytes(
        scenario.plain_post(people["bob"], f"in the clear {secret}\n", subject=secret),
        MailmanMessage)
    with transaction():
        scenario.mlist.digest_size_threshold = 1000
        PGPToDigest().process(scenario.mlist, plain, {})
    collected = (Path(scenario.mlist.data_path) / "digest.mmdf").read_bytes()
    assert secret.encode() not in collected
    assert b"Subject: [...]" in collected
    send_digest(scenario)
    scenario.run_queues()
    [mime_digest] = scenario.delivered()["alice@example.com"]
    opened = read_as(people["alice"].client, mime_digest)
    assert secret in _texts(opened)


def test_a_digest_not_sealed_by_the_plugin_is_shunted_not_sent(scenario, people):
    from mailman.config import config
    from mailman.email.message import Message as MailmanMessage

    secret = marker()
    digest = MailmanMessage()
    digest["Subject"] = "A digest made elsewhere"
    digest["Message-ID"] = "<elsewhere@example.com>"
    digest.set_payload(f"plain digest {secret}\n")
    config.switchboards["virgin"].enqueue(
        digest, listid=scenario.mlist.list_id, isdigest=True,
        recipients={"alice@example.com", "carol@example.com"})
    scenario.run_queues()
    assert scenario.delivered() == {}
    assert len(config.switchboards["shunt"].files) == 1


def _texts(msg: Message) -> str:
    """Every text/plain part of ``msg`` decoded, one after the other."""
    texts = []
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            texts.append(data.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(texts)
