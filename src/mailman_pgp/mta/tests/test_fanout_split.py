# Test that a PGP list post to more members than [delivery] split_above, with several out
# runner instances, is queued again as chunks of its recipients that Mailman's out runner
# slices deliver: every member gets exactly one copy, each slice gets its share of the chunks
# and the same members at every post, the queued chunks hold the post only as ciphertext, a
# temporary failure retries only the chunk it hit, a post the list cannot open is refused
# whole, nothing is split with one out runner or few recipients, and an out runner process
# makes the post's copy once for all the chunks it takes, never for a chunk that carries
# another post.

from dataclasses import replace
from email import message_from_bytes
from pathlib import Path

import pytest
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.email.message import Message
from mailman.interfaces.usermanager import IUserManager
from mailman.runners.outgoing import OutgoingRunner
from mailman.runners.retry import RetryRunner
from mailman.testing.helpers import (
    LogFileMark,
    configuration,
    get_queue_messages,
    make_testable_runner,
)
from mailman.utilities.datetime import now
from zope.component import getUtility

from mailman_pgp.app.keys import set_address_key
from mailman_pgp.config import SETTINGS, ConfigError, load_config, pgp_config
from mailman_pgp.mta import pgp_delivery
from mailman_pgp.mta.deliver import deliver
from mailman_pgp.mta.fanout_split import CHUNK, recipient_chunks
from mailman_pgp.mta.pgp_delivery import UndeliverablePost
from mailman_pgp.openpgp import SignatureStatus, decrypt_own, generate_key
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.posting.encrypted_post import encrypted_part
from mailman_pgp.posting.tests.scenario import People, PGPListScenario

SECRET = "split-plaintext-5c1e"
INSTANCES = 2
SPLIT_ABOVE = 4
CHUNK_SIZE = 3
# Anne, who posts, and nine members with keys made in process (fast): 10 recipients, so
# chunks of 3, 3, 3 and 1.
MEMBERS = [f"member{number}@example.com" for number in range(9)]
RECIPIENTS = sorted(["anne@example.com", *MEMBERS])


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    yield cast
    cast.close()


@pytest.fixture(scope="module")
def member_keys():
    return {email: generate_key(f"Member <{email}>") for email in MEMBERS}


@pytest.fixture
def scenario(mailman, people, member_keys, monkeypatch):
    monkeypatch.setattr(SETTINGS, "_value", replace(
        pgp_config(), split_above=SPLIT_ABOVE, chunk_size=CHUNK_SIZE))
    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne")
    users = getUtility(IUserManager)
    with transaction():
        for email, key in member_keys.items():
            address = users.make_user(email).addresses[0]
            address.verified_on = now()
            scene.mlist.subscribe(address, send_welcome_message=False)
            set_address_key(email, key.certificate.armor, confirmed=True)
    return scene


@pytest.fixture
def out_instances():
    with configuration("runner.out", instances=INSTANCES):
        yield


def checked_post(scenario, people, digest: str | None = None) -> tuple[Message, dict]:
    anne = people["anne"]
    msg = message_from_bytes(scenario.pgp_mime_post(anne, f"{SECRET}\n"), Message)
    msgdata = {"recipients": set(RECIPIENTS), "listid": scenario.mlist.list_id,
               "to_list": True}
    PostCheck(CheckOutcome.OPENED, author=anne.email,
              digest=digest or encrypted_part(msg).digest, status=SignatureStatus.GOOD,
              signer=anne.fingerprint, sender_key=anne.fingerprint).save(msgdata)
    return msg, msgdata


def out_slice(number: int, taken: list[int]) -> OutgoingRunner:
    """Mailman's out runner for slice ``number`` of `INSTANCES`, as its master starts it,
    stopping when its slice of the queue is empty; counts the entries it takes."""

    class SliceRunner(OutgoingRunner):
        def _dispose(self, mlist, msg, msgdata):
            taken[number] += 1
            return super()._dispose(mlist, msg, msgdata)

        def _do_periodic(self) -> None:
            self._stop = not self.switchboard.files

    return SliceRunner("out", number)


def run_out_slices() -> list[int]:
    """Run each out runner slice in turn until the out queue is empty; entries each took."""
    taken = [0] * INSTANCES
    for _ in range(5):
        for number in range(INSTANCES):
            out_slice(number, taken).run()
        if not config.switchboards["out"].files:
            return taken
    raise AssertionError("the out queue did not empty")


def test_every_member_gets_exactly_one_copy_through_the_out_runner_slices(
        scenario, people, member_keys, out_instances):
    msg, msgdata = checked_post(scenario, people)
    mark = LogFileMark("mailman.smtp")
    config.switchboards["out"].enqueue(msg, msgdata)
    taken = run_out_slices()
    # The original, whichever slice it fell to, and 2 of its 4 chunks each.
    assert sorted(taken) == [2, 3]
    delivered = scenario.delivered()
    assert sorted(delivered) == RECIPIENTS
    assert all(len(copies) == 1 for copies in delivered.values())
    assert all(copies[0].get_content_type() == "multipart/encrypted"
               for copies in delivered.values())
    # A member reads the post in hers.
    [copy] = delivered[MEMBERS[4]]
    armor = copy.get_payload()[1].get_payload().encode()
    assert SECRET.encode() in decrypt_own(armor, member_keys[MEMBERS[4]])
    assert "10 recipients queued in 4 chunks for 2 out runners" in mark.read()


def test_each_slice_takes_the_same_members_at_every_post(
        scenario, people, out_instances):
    def post_and_note_the_slice_of_each_member() -> dict[str, int]:
        taken: dict[str, int] = {}

        class RecordingRunner(OutgoingRunner):
            def _dispose(self, mlist, msg, msgdata):
                if CHUNK in msgdata:
                    number, _count = msgdata[CHUNK]
                    assert (number - 1) % INSTANCES == self.number
                    taken.update((email, self.number) for email in msgdata["recipients"])
                return super()._dispose(mlist, msg, msgdata)

            def _do_periodic(self) -> None:
                self._stop = not self.switchboard.files

        msg, msgdata = checked_post(scenario, people)
        config.switchboards["out"].enqueue(msg, msgdata)
        for _ in range(3):
            for number in range(INSTANCES):
                runner = RecordingRunner("out", number)
                runner.number = number
                runner.run()
        assert not config.switchboards["out"].files
        return taken

    first = post_and_note_the_slice_of_each_member()
    assert sorted(first) == RECIPIENTS
    assert set(first.values()) == set(range(INSTANCES))
    assert post_and_note_the_slice_of_each_member() == first


def test_the_queued_chunks_hold_the_post_only_as_it_came_encrypted(
        scenario, people, out_instances):
    msg, msgdata = checked_post(scenario, people)
    deliver(scenario.mlist, msg, msgdata)
    assert scenario.delivered() == {}
    out = config.switchboards["out"]
    files = sorted(Path(out.queue_directory).glob("*.pck"))
    assert len(files) == 4
    # Nothing is left where they were written before they went into the queue.
    assert [path for path in Path(out.queue_directory).iterdir() if path.is_dir()] == []
    for path in files:
        raw = path.read_bytes()
        assert SECRET.encode() not in raw
        assert b"-----BEGIN PGP MESSAGE-----" in raw
    chunks = get_queue_messages("out", expected_count=4)
    assert sorted(chunk.msgdata[CHUNK] for chunk in chunks) == [(n, 4) for n in range(1, 5)]
    recipients = [r for chunk in chunks for r in chunk.msgdata["recipients"]]
    assert sorted(recipients) == RECIPIENTS
    for chunk in chunks:
        assert len(chunk.msgdata["recipients"]) <= CHUNK_SIZE
        assert chunk.msg.as_bytes() == msg.as_bytes()
        assert PostCheck.load(chunk.msgdata) == PostCheck.load(msgdata)


def test_a_temporary_failure_in_one_chunk_retries_that_chunk_only(
        scenario, people, mailman, out_instances):
    msg, msgdata = checked_post(scenario, people)
    deliver(scenario.mlist, msg, msgdata)
    # The first recipient of the next SMTP session is refused for now.
    mailman.err_queue.put(("rcpt", 451))
    run_out_slices()
    [retry] = get_queue_messages("retry", expected_count=1)
    [failed] = retry.msgdata["recipients"]
    assert retry.msgdata[CHUNK][1] == 4
    assert encrypted_part(retry.msg).digest == encrypted_part(msg).digest
    first = scenario.delivered()
    assert sorted(first) == [r for r in RECIPIENTS if r != failed]
    assert all(len(copies) == 1 for copies in first.values())

    # Mailman's retry runner puts it back in the out queue; it is not split again.
    config.switchboards["retry"].enqueue(retry.msg, retry.msgdata)
    make_testable_runner(RetryRunner, "retry").run()
    assert sum(run_out_slices()) == 1
    # The sink hands out each message once.
    second = scenario.delivered()
    assert list(second) == [failed]
    assert len(second[failed]) == 1


def test_a_post_the_list_cannot_open_is_refused_whole_not_split(
        scenario, people, out_instances):
    msg, msgdata = checked_post(scenario, people, digest="0" * 64)
    with pytest.raises(UndeliverablePost):
        deliver(scenario.mlist, msg, msgdata)
    assert config.switchboards["out"].files == []
    assert scenario.delivered() == {}


def test_one_process_makes_the_copy_once_for_the_split_and_all_its_chunks(
        scenario, people, out_instances, monkeypatch):
    made = []

    def counted(*args, **kws):
        made.append(args[2]["message-id"])
        return post_copy(*args, **kws)

    post_copy = pgp_delivery.post_copy
    monkeypatch.setattr(pgp_delivery, "post_copy", counted)
    msg, msgdata = checked_post(scenario, people)
    config.switchboards["out"].enqueue(msg, msgdata)
    assert sum(run_out_slices()) == 5
    assert made == [msg["message-id"]]
    delivered = scenario.delivered()
    assert sorted(delivered) == RECIPIENTS
    assert all(len(copies) == 1 for copies in delivered.values())


def test_a_chunk_carrying_another_post_gets_no_copy_of_the_one_split(
        scenario, people, out_instances):
    msg, msgdata = checked_post(scenario, people)
    deliver(scenario.mlist, msg, msgdata)
    chunk = get_queue_messages("out", expected_count=4)[0]
    # Another post by the same author, in the place of the one the chunk's check names.
    other = message_from_bytes(scenario.pgp_mime_post(people["anne"], "Another text.\n"),
                               Message)
    with pytest.raises(UndeliverablePost, match="not the one the list checked"):
        deliver(scenario.mlist, other, chunk.msgdata)
    assert scenario.delivered() == {}


def test_nothing_is_split_with_one_out_runner_few_recipients_or_for_a_chunk(
        mailman, monkeypatch):
    monkeypatch.setattr(SETTINGS, "_value", replace(
        pgp_config(), split_above=SPLIT_ABOVE, chunk_size=CHUNK_SIZE))
    many = {"recipients": set(RECIPIENTS)}
    assert recipient_chunks(many) == []
    with configuration("runner.out", instances=INSTANCES):
        assert recipient_chunks(many) == [RECIPIENTS[0:3], RECIPIENTS[3:6],
                                          RECIPIENTS[6:9], RECIPIENTS[9:]]
        assert recipient_chunks({"recipients": set(RECIPIENTS[:SPLIT_ABOVE])}) == []
        assert recipient_chunks(dict(many, **{CHUNK: (1, 4)})) == []


def test_the_split_settings_are_read_from_the_sites_file_and_checked(tmp_path):
    site = tmp_path / "pgp.cfg"
    site.write_text("[delivery]\nsplit_above: 2000\nchunk_size: 100\n")
    settings = load_config(str(site), var_dir=tmp_path)
    assert (settings.split_above, settings.chunk_size) == (2000, 100)
    site.write_text("[delivery]\nchunk_size: 0\n")
    with pytest.raises(ConfigError, match=r"\[delivery\] chunk_size: '0' is not a whole number"):
        load_config(str(site), var_dir=tmp_path)
