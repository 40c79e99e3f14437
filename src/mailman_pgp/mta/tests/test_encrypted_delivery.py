# Test that the one-recipient service sends a message of a PGP list, signed once by the list,
# to each recipient encrypted to their key alone, through Mailman's own delivery code, and
# sends nothing to a recipient without a key or for a list that is not a PGP list.

from email import message_from_bytes
from email.utils import make_msgid

import pytest
from mailman.app.lifecycle import create_list
from mailman.database.transaction import transaction
from mailman.email.message import UserNotification
from mailman.interfaces.mta import IMailTransportAgentDelivery
from mailman.testing.helpers import LogFileMark
from zope.interface.verify import verifyObject

import mailman_pgp.posting.fanout as fanout
from mailman_pgp.mta.encrypted_delivery import EncryptedDelivery, Undeliverable
from mailman_pgp.mta.mailman_deliver import deliver_with
from mailman_pgp.openpgp import load_certificate
from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.calls import record_calls
from mailman_pgp.testing.client_mail import split_signed_raw

TEXT = "Welcome to the Crypto list, Grüße ✓\nYour confirmation code is 7312.\n"


@pytest.fixture(scope="module")
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    cast.add("bert", "bert@example.com")
    cast.add("cleo", "cleo@example.com", keyless=True)
    cast.add("dora", "dora@example.com")
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne", "bert", "cleo")
    # dora has subscribed and sent a key that she has not confirmed yet.
    scene.subscribe("dora", keys=False)
    return scene


def notice(scenario, to: str) -> UserNotification:
    """A notice of the list, with the Message-ID Mailman's virgin pipeline gives it."""
    message = UserNotification(to, scenario.mlist.bounces_address, "Welcome to Crypto", TEXT)
    message["Message-ID"] = make_msgid(domain="example.com")
    return message


def opened(person, copy) -> tuple[str, str]:
    """What ``person`` reads in ``copy``, checked as their client checks it: text, signer."""
    decrypted = person.client.decrypt(copy.get_payload()[1].get_payload().encode())
    assert decrypted.has("DECRYPTION_OKAY")
    signed, signature = split_signed_raw(decrypted.output)
    verified = person.client.verify_detached(signature, signed)
    assert verified.has("GOODSIG")
    inner = message_from_bytes(signed)
    body, charset = inner.get_payload(decode=True), inner.get_content_charset()
    assert isinstance(body, bytes) and charset is not None
    text = body.decode(charset)
    return text.replace("\r\n", "\n"), verified.line("VALIDSIG")[-1]


def test_a_notice_goes_to_one_member_signed_by_the_list_and_encrypted_to_them(
        scenario, people):
    message = notice(scenario, "anne@example.com")
    before = message.as_bytes()
    EncryptedDelivery().deliver(scenario.mlist, message,
                                {"recipients": {"anne@example.com"}})
    [copy] = scenario.delivered()["anne@example.com"]
    assert copy.get_content_type() == "multipart/encrypted"
    assert copy["Subject"] == "Welcome to Crypto"
    assert copy["To"] == "anne@example.com"
    assert copy["Message-ID"] == message["Message-ID"]
    assert TEXT.encode() not in copy.as_bytes()
    text, signer = opened(people["anne"], copy)
    assert text == TEXT
    assert signer == scenario.list_fingerprint
    assert message.as_bytes() == before


def test_a_few_recipients_get_a_copy_each_of_one_signature(scenario, people, monkeypatch):
    signatures = record_calls(monkeypatch, fanout, "sign_detached")
    EncryptedDelivery().deliver(scenario.mlist, notice(scenario, "crypto-owner@example.com"),
                                {"recipients": {"anne@example.com", "bert@example.com"}})
    delivered = scenario.delivered()
    assert sorted(delivered) == ["anne@example.com", "bert@example.com"]
    assert len(signatures) == 1
    for name in ("anne", "bert"):
        [copy] = delivered[f"{name}@example.com"]
        assert opened(people[name], copy)[0] == TEXT
        others = [person for person in ("anne", "bert") if person != name]
        armor = copy.get_payload()[1].get_payload().encode()
        assert not people[others[0]].client.decrypt(armor).has("DECRYPTION_OKAY")


def test_a_challenge_goes_to_the_key_given_though_it_is_not_confirmed(scenario, people):
    dora = people["dora"]
    certificate = load_certificate(dora.client.export(dora.email))
    message = notice(scenario, dora.email)
    EncryptedDelivery().deliver(scenario.mlist, message, {"recipients": {dora.email}})
    assert scenario.delivered() == {}
    EncryptedDelivery({"Dora@Example.com": certificate}).deliver(
        scenario.mlist, message, {"recipients": {dora.email}})
    [copy] = scenario.delivered()[dora.email]
    assert opened(dora, copy)[0] == TEXT


def test_a_recipient_without_a_key_gets_nothing(scenario, people):
    mark = LogFileMark("mailman.smtp")
    refused = EncryptedDelivery().deliver(
        scenario.mlist, notice(scenario, "cleo@example.com"),
        {"recipients": {"cleo@example.com", "anne@example.com"}})
    assert refused == {}
    assert list(scenario.delivered()) == ["anne@example.com"]
    assert "no copy for 1 recipients without a confirmed key: cleo@example.com" in mark.read()


def test_it_goes_through_mailmans_delivery_code_with_mailmans_log_lines(scenario, mailman):
    message = notice(scenario, "anne@example.com")
    mark = LogFileMark("mailman.smtp")
    mailman.err_queue.put(("rcpt", 451))
    deliver = EncryptedDelivery()
    refused = deliver.deliver(scenario.mlist, message, {"recipients": {"anne@example.com"}})
    assert refused == {"anne@example.com": (451, b"Error: SMTPRecipientsRefused")}
    assert f"{message['Message-ID']} recipients refused" in mark.read()
    mark = LogFileMark("mailman.smtp")
    deliver_with(EncryptedDelivery(), scenario.mlist, message,
                 {"recipients": {"anne@example.com"}})
    assert f"{message['Message-ID']} smtp to crypto@example.com for 1 recips" in mark.read()
    assert list(scenario.delivered()) == ["anne@example.com"]


def test_mail_of_a_list_that_is_not_a_pgp_list_is_refused(mailman):
    with transaction():
        mlist = create_list("plain@example.com")
    message = UserNotification("anne@example.com", mlist.bounces_address, "Hi", TEXT)
    with pytest.raises(Undeliverable, match="plain.example.com is not a PGP list"):
        EncryptedDelivery().deliver(mlist, message, {"recipients": {"anne@example.com"}})
    assert list(mailman.messages) == []


def test_the_service_is_a_mailman_delivery_agent(mailman):
    assert verifyObject(IMailTransportAgentDelivery, EncryptedDelivery())
