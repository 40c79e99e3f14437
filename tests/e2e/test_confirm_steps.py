# Test that the confirm command of a PGP list answers only tokens whose workflow waits for a
# confirmation: a key request, the challenge of a new key or a moderator's token sent to
# confirm change nothing (Mailman's own confirm would resume the workflow past the step it
# waits at), and a key sign confirmation needs the key that certified to be confirmed still.

from __future__ import annotations

import re

import pytest
from mailman.database.transaction import transaction
from mailman.interfaces.subscriptions import ISubscriptionManager
from zope.component import getUtility

from mailman_pgp.interfaces.keys import IPGPAddressKeyManager
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import parse_certificate
from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.client_mail import text_body
from mailman_pgp.workflows.key_change import AWAITING_APPROVAL, PGPKeyChangeWorkflow
from mailman_pgp.workflows.subscription import AWAITING_KEY
from mailman_pgp.workflows.tokens import awaited_step

from .key_commands import (
    client_of,
    command_mail,
    make_owner,
    plain_command,
    received,
    reply_text,
    send,
    token_of,
    with_keys,
)

ANNE = "anne@example.com"
NEWCOMER = "newcomer@example.com"


@pytest.fixture
def people():
    cast = People()
    cast.add("anne", ANNE)
    cast.add("newcomer", NEWCOMER)
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman, people):
    scene = PGPListScenario(mailman, people)
    scene.subscribe("anne")
    make_owner(scene, people["anne"])
    return scene


def test_a_key_request_is_not_answered_with_confirm(scenario, people):
    newcomer = people["newcomer"]
    delivered = send(scenario, plain_command(newcomer, "join"))
    [request] = [msg for msg in delivered[NEWCOMER] if "key set" in str(msg["Subject"])]
    token = re.search(r"key set ([0-9a-f]+)", str(request["Subject"])).group(1)
    reply = reply_text(newcomer, send(scenario, plain_command(newcomer, f"confirm {token}")))
    assert "is not answered with confirm" in reply
    assert awaited_step(token) == AWAITING_KEY
    assert scenario.mlist.members.get_member(NEWCOMER) is None


def test_a_moderators_token_is_not_answered_by_mail(scenario, people):
    anne = people["anne"]
    new = client_of(anne).generate("Anne (new) <anne@example.com>")
    with transaction():
        workflow = PGPKeyChangeWorkflow(scenario.mlist, ANNE,
                                        parse_certificate(client_of(anne).export(new)))
        list(workflow)
        token, _, _ = ISubscriptionManager(scenario.mlist).resume(workflow.token)
    assert awaited_step(token) == AWAITING_APPROVAL
    delivered = send(scenario, command_mail(anne, "confirm", text_body(f"confirm {token}\n"),
                                            signer=anne.fingerprint))
    assert "is not answered with confirm" in reply_text(anne, delivered)
    assert awaited_step(token) == AWAITING_APPROVAL
    assert getUtility(IPGPAddressKeyManager).get(ANNE).fingerprint == anne.fingerprint


def test_a_key_sign_confirmation_needs_the_certifying_key_confirmed(scenario, people):
    anne = people["anne"]
    client = client_of(anne)
    client.certify(scenario.list_fingerprint)
    delivered = send(scenario, command_mail(
        anne, "key sign", with_keys("Certified.", client.export(scenario.list_fingerprint))))
    token = token_of(anne, received(delivered, anne, "confirm"), "confirm")
    before = getUtility(IPGPListManager).get("crypto.example.com").public_key
    with transaction():
        key = getUtility(IPGPAddressKeyManager).get(ANNE)
        key.replace(key.certificate(), confirmed=False)
    delivered = send(scenario, command_mail(anne, "Re: confirm", text_body(f"confirm {token}\n"),
                                            signer=anne.fingerprint))
    assert "is not confirmed any more" in reply_text(anne, delivered)
    assert getUtility(IPGPListManager).get("crypto.example.com").public_key == before
