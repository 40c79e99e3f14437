# Test that the [mta] outgoing callable sends a checked PGP list post as one encrypted copy per
# member with a key over one SMTP connection, through Mailman's own delivery code (its log
# templates, sessions and failures), leaves the queued post untouched, fails closed, and hands
# everything else to the outgoing callable the site had configured.

import socket
from email import message_from_bytes

import pytest
from mailman.app.lifecycle import create_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.email.message import Message
from mailman.interfaces.bounce import BounceContext, IBounceProcessor
from mailman.interfaces.mta import SomeRecipientsFailed
from mailman.runners.outgoing import OutgoingRunner
from mailman.runners.retry import RetryRunner
from mailman.testing.helpers import (
    LogFileMark,
    configuration,
    get_queue_messages,
    make_testable_runner,
)
from zope.component import getUtility

from mailman_pgp.mta.deliver import ENCRYPT_TO, deliver
from mailman_pgp.mta.pgp_delivery import UndeliverablePost
from mailman_pgp.mta.site_outgoing import remember_site_outgoing, site_outgoing_name
from mailman_pgp.openpgp import SignatureStatus
from mailman_pgp.openpgp.tests.key_files import key_data
from mailman_pgp.posting.check import CheckOutcome, PostCheck
from mailman_pgp.posting.encrypted_post import encrypted_part
from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.client_mail import split_signed_raw

SECRET = "deliver-plaintext-93b2"
MEMBERS = {"anne@example.com", "bert@example.com", "cleo@example.com"}


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    cast.add("bert", "bert@example.com")
    cast.add("cleo", "cleo@example.com", keyless=True)
    yield cast
    cast.close()


@pytest.fixture
def site_callable():
    """A site's own [mta] outgoing callable, recorded as pre_hook records it; its calls."""
    before = site_outgoing_name()
    remember_site_outgoing(f"{__name__}.site_deliver")
    SITE_CALLS.clear()
    yield SITE_CALLS
    remember_site_outgoing(before)


SITE_CALLS: list[tuple] = []


def site_deliver(mlist, msg, msgdata):
    SITE_CALLS.append((mlist, msg, msgdata))


@pytest.fixture
def scenario(mailman, people):
    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne", "bert", "cleo")
    return scene


def checked_post(scenario, people, **kws) -> tuple[Message, dict]:
    anne = people["anne"]
    msg = message_from_bytes(scenario.pgp_mime_post(anne, f"{SECRET}\n", **kws), Message)
    msgdata = {"recipients": set(MEMBERS), "listid": scenario.mlist.list_id, "to_list": True}
    PostCheck(CheckOutcome.OPENED, author=anne.email, digest=encrypted_part(msg).digest,
              status=SignatureStatus.GOOD, signer=anne.fingerprint,
              sender_key=anne.fingerprint).save(msgdata)
    return msg, msgdata


def test_members_with_a_key_get_a_copy_each_over_one_connection(scenario, people, mailman):
    msg, msgdata = checked_post(scenario, people)
    before = msg.as_bytes()
    mark = LogFileMark("mailman.smtp")
    deliver(scenario.mlist, msg, msgdata)
    delivered = scenario.delivered()
    assert sorted(delivered) == ["anne@example.com", "bert@example.com"]
    assert all(len(copies) == 1 for copies in delivered.values())
    assert all(copies[0].get_content_type() == "multipart/encrypted"
               for copies in delivered.values())
    assert mailman.get_connection_count() == 1
    assert msg.as_bytes() == before
    log = mark.read()
    assert "cleo@example.com" in log
    assert SECRET not in log


def test_a_temporary_failure_is_raised_for_a_retry_of_the_untouched_post(
        scenario, people, mailman):
    msg, msgdata = checked_post(scenario, people)
    before = msg.as_bytes()
    mailman.err_queue.put(("rcpt", 451))
    with pytest.raises(SomeRecipientsFailed) as failed:
        deliver(scenario.mlist, msg, msgdata)
    assert failed.value.temporary_failures == ["anne@example.com"]
    assert failed.value.permanent_failures == []
    assert msg.as_bytes() == before
    assert list(scenario.delivered()) == ["bert@example.com"]


def test_a_permanent_failure_is_registered_as_a_bounce_here(scenario, people, mailman):
    msg, msgdata = checked_post(scenario, people)
    mailman.err_queue.put(("rcpt", 550))
    deliver(scenario.mlist, msg, msgdata)
    [bounce] = getUtility(IBounceProcessor).events
    assert (bounce.list_id, bounce.email) == (scenario.mlist.list_id, "anne@example.com")
    assert bounce.context is BounceContext.normal
    assert list(scenario.delivered()) == ["bert@example.com"]


def test_a_permanent_and_a_temporary_failure_retry_the_post_itself(scenario, people, mailman):
    # Mailman 3.3.10's out runner, given both at once, would queue its DSN for the retry.
    msg, msgdata = checked_post(scenario, people)
    ciphertext = encrypted_part(msg).digest
    mailman.err_queue.put(("rcpt", 550))
    mailman.err_queue.put(("rcpt", 451))
    config.switchboards["out"].enqueue(msg, msgdata)
    make_testable_runner(OutgoingRunner, "out").run()
    assert scenario.delivered() == {}
    [bounce] = getUtility(IBounceProcessor).events
    assert bounce.email == "anne@example.com"
    [retry] = get_queue_messages("retry", expected_count=1)
    assert encrypted_part(retry.msg).digest == ciphertext
    assert retry.msgdata["recipients"] == ["bert@example.com"]

    # Reading the queue took the entry out; put it back for Mailman's retry runner.
    config.switchboards["retry"].enqueue(retry.msg, retry.msgdata)
    make_testable_runner(RetryRunner, "retry").run()
    make_testable_runner(OutgoingRunner, "out").run()
    delivered = scenario.delivered()
    assert list(delivered) == ["bert@example.com"]
    opened = people["bert"].client.decrypt(delivered["bert@example.com"][0].get_payload()[1]
                                           .get_payload().encode())
    assert SECRET.encode() in opened.output


def test_a_post_the_list_cannot_open_is_not_sent_and_is_shunted_as_it_came(scenario, people):
    anne = people["anne"]
    msg, msgdata = checked_post(scenario, people, encrypt_to=anne.fingerprint)
    with pytest.raises(UndeliverablePost):
        deliver(scenario.mlist, msg, msgdata)
    assert scenario.delivered() == {}
    config.switchboards["out"].enqueue(msg, msgdata)
    make_testable_runner(OutgoingRunner, "out").run()
    [shunted] = get_queue_messages("shunt", expected_count=1)
    assert shunted.msg.as_bytes() == msg.as_bytes()
    assert scenario.delivered() == {}


def test_a_post_that_skipped_the_pgp_chain_is_not_sent(scenario, people):
    msg, msgdata = checked_post(scenario, people)
    PostCheck.forget(msgdata)
    with pytest.raises(UndeliverablePost, match="did not pass the PGP posting chain"):
        deliver(scenario.mlist, msg, msgdata)
    assert scenario.delivered() == {}


def test_a_post_whose_check_did_not_open_it_is_not_sent(scenario, people):
    msg, msgdata = checked_post(scenario, people)
    PostCheck(CheckOutcome.NOT_ENCRYPTED, people["anne"].email).save(msgdata)
    with pytest.raises(UndeliverablePost, match="did not pass the PGP posting chain"):
        deliver(scenario.mlist, msg, msgdata)
    assert scenario.delivered() == {}


def notice(to: str = "anne@example.com") -> Message:
    return message_from_bytes(
        f"From: crypto-owner@example.com\nTo: {to}\nSubject: Welcome\n"
        "Message-ID: <notice@example.com>\n\nWelcome to the list.\n".encode(), Message)


def test_a_notice_goes_encrypted_with_the_list_key_to_a_member_with_a_key(scenario, people):
    deliver(scenario.mlist, notice(), {
        "recipients": {"anne@example.com", "cleo@example.com"}, "nodecorate": True})
    delivered = scenario.delivered()
    [encrypted] = delivered["anne@example.com"]
    assert encrypted.get_content_type() == "multipart/encrypted"
    assert encrypted["Subject"] == "Welcome"
    opened = people["anne"].client.decrypt(encrypted.get_payload()[1].get_payload().encode())
    signed, signature = split_signed_raw(opened.output)
    assert people["anne"].client.verify_detached(signature, signed).has("GOODSIG")
    content = message_from_bytes(signed)
    text, key = content.get_payload()
    assert text.get_payload(decode=True).replace(b"\r\n", b"\n") == b"Welcome to the list.\n"
    assert key.get_content_type() == "application/pgp-keys"
    assert people["anne"].client.fingerprints(key.get_payload()) == [scenario.list_fingerprint]
    # Who has no key gets it as Mailman sends it.
    [plain] = delivered["cleo@example.com"]
    assert plain.get_content_type() == "text/plain"
    assert plain.get_payload().replace("\r\n", "\n") == "Welcome to the list.\n"


def test_mail_to_a_given_key_goes_encrypted_to_it_or_not_at_all(scenario, people):
    bert = people["bert"]
    given = {"newbie@example.com": bert.client.export(bert.email),
             "late@example.com": key_data("carol_expired.pub.asc").decode()}
    deliver(scenario.mlist, notice("newbie@example.com"), {
        "recipients": {"newbie@example.com", "late@example.com"}, ENCRYPT_TO: given})
    delivered = scenario.delivered()
    [copy] = delivered["newbie@example.com"]
    assert copy.get_content_type() == "multipart/encrypted"
    assert bert.client.decrypt(copy.get_payload()[1].get_payload().encode()).has(
        "DECRYPTION_OKAY")
    # An expired key can take no copy, and a plaintext one is never sent instead.
    assert "late@example.com" not in delivered


def test_lists_that_are_not_pgp_lists_are_delivered_by_mailman_in_bulk(mailman):
    with transaction():
        mlist = create_list("plain@example.com")
    post = message_from_bytes(
        b"From: anne@example.com\nTo: plain@example.com\nSubject: Hi\n"
        b"Message-ID: <plain@example.com>\n\nplain text\n", Message)
    deliver(mlist, post, {"recipients": {"anne@example.com", "bert@example.com"}})
    [sent] = mailman.messages
    assert sorted(sent["X-RcptTo"].replace(" ", "").split(",")) == [
        "anne@example.com", "bert@example.com"]
    body = sent.get_payload().replace("\r\n", "\n")
    # Mailman's bulk delivery decorates: the footer follows the text.
    assert body.startswith("plain text\n")
    assert f"To unsubscribe send an email to {mlist.leave_address}" in body


def test_the_agent_is_a_mailman_delivery_agent(mailman):
    from mailman.interfaces.mta import IMailTransportAgentDelivery
    from zope.interface.verify import verifyObject

    from mailman_pgp.mta.pgp_delivery import PGPDelivery

    assert verifyObject(IMailTransportAgentDelivery, PGPDelivery())


def test_verp_gives_each_copy_its_own_envelope_sender(scenario, people, mailman):
    msg, msgdata = checked_post(scenario, people)
    msgdata["verp"] = True
    deliver(scenario.mlist, msg, msgdata)
    delivered = scenario.delivered()
    for email, [copy] in delivered.items():
        local, domain = email.split("@")
        assert copy["X-MailFrom"] == f"crypto-bounces+{local}={domain}@example.com"


def test_a_post_is_logged_with_mailmans_smtp_templates(scenario, people):
    msg, msgdata = checked_post(scenario, people)
    mark = LogFileMark("mailman.smtp")
    with configuration("logging.smtp", every="every: $msgid to $listname, $recip recips",
                       success="success: $msgid from $sender"):
        deliver(scenario.mlist, msg, msgdata)
    log = mark.read()
    message_id = msg["Message-ID"]
    assert f"every: {message_id} to crypto@example.com, 3 recips" in log
    assert f"success: {message_id} from anne@example.com" in log


def test_a_refused_copy_is_logged_with_mailmans_smtp_templates(scenario, people, mailman):
    msg, msgdata = checked_post(scenario, people)
    mailman.err_queue.put(("rcpt", 550))
    mark = LogFileMark("mailman.smtp")
    with configuration("logging.smtp", refused="refused: $msgid, $refused failures",
                       failure="failure: $recip, code $smtpcode"):
        deliver(scenario.mlist, msg, msgdata)
    log = mark.read()
    assert f"refused: {msg['Message-ID']}, 1 failures" in log
    assert "failure: anne@example.com, code 550" in log


def test_each_copy_is_a_session_of_mailmans_connection(scenario, people, mailman):
    msg, msgdata = checked_post(scenario, people)
    with configuration("mta", max_sessions_per_connection=1):
        deliver(scenario.mlist, msg, msgdata)
    assert sorted(scenario.delivered()) == ["anne@example.com", "bert@example.com"]
    assert mailman.get_connection_count() == 2


def test_an_mta_that_does_not_answer_is_a_temporary_failure_of_every_copy(scenario, people):
    msg, msgdata = checked_post(scenario, people)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with configuration("mta", smtp_port=port), pytest.raises(SomeRecipientsFailed) as failed:
        deliver(scenario.mlist, msg, msgdata)
    assert sorted(failed.value.temporary_failures) == ["anne@example.com", "bert@example.com"]
    assert failed.value.permanent_failures == []


def test_lists_that_are_not_pgp_lists_go_to_the_sites_own_outgoing_callable(
        mailman, site_callable):
    with transaction():
        mlist = create_list("plain@example.com")
    post = message_from_bytes(
        b"From: anne@example.com\nTo: plain@example.com\nSubject: Hi\n"
        b"Message-ID: <plain@example.com>\n\nplain text\n", Message)
    msgdata = {"recipients": {"anne@example.com"}, "to_list": True}
    deliver(mlist, post, msgdata)
    assert site_callable == [(mlist, post, msgdata)]
    assert list(mailman.messages) == []


def test_notices_on_a_pgp_list_to_someone_without_a_key_go_to_the_sites_own_callable(
        scenario, site_callable):
    message = notice("cleo@example.com")
    msgdata = {"recipients": {"cleo@example.com"}, "nodecorate": True}
    deliver(scenario.mlist, message, msgdata)
    [(mlist, sent, sent_msgdata)] = site_callable
    assert (mlist, sent) == (scenario.mlist, message)
    assert sent_msgdata == {"recipients": ["cleo@example.com"], "nodecorate": True}


def test_a_pgp_list_post_never_goes_to_the_sites_own_outgoing_callable(
        scenario, people, site_callable):
    msg, msgdata = checked_post(scenario, people)
    deliver(scenario.mlist, msg, msgdata)
    assert site_callable == []
    assert sorted(scenario.delivered()) == ["anne@example.com", "bert@example.com"]
