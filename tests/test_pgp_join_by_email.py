# Test what the guides say of a person who joins a PGP list by email: REST shows their key
# unconfirmed until they prove it, a request that then waits for a moderator is in Mailman's
# stock requests resource and is accepted there, and the key events of the join (delivered by
# the webhooks plugin) carry identifiers only, never the key or a token.

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.message import Message
from urllib.parse import quote

import pytest
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.mailinglist import SubscriptionPolicy
from mailman.testing.helpers import call_api

from mailman_pgp.posting.tests.scenario import People, Person, PGPListScenario
from mailman_pgp.testing.client_mail import (
    headers_text,
    pgp_mime_signed_entity,
    read_as,
    text_body,
    text_of,
)
from mailman_webhooks.serialize.catalog import PLUGIN_EVENTS
from mailman_webhooks.tests.scenario import capture

ZOE = "zoe@example.com"


@pytest.fixture(scope="module")
def people() -> Iterator[People]:
    cast = People()
    cast.add("zoe", ZOE)
    yield cast
    cast.close()


class Joining:
    """Zoe joins the list by email, step by step, as her mail program would."""

    def __init__(self, scene: PGPListScenario, zoe: Person) -> None:
        self.scene = scene
        self.zoe = zoe
        self.to = scene.mlist.request_address
        self.tokens: list[str] = []

    def send(self, raw: bytes) -> list[Message]:
        """Mail ``raw`` to the list's -request address; what the list sent Zoe back."""
        self.scene.send_by_lmtp(raw, to=self.to)
        self.scene.run_queues()
        return self.scene.delivered().get(ZOE, [])

    def headers(self, subject: str, **extra: str) -> str:
        return headers_text({"From": ZOE, "To": self.to, "Subject": subject,
                             "Message-ID": f"<{len(self.tokens)}.{abs(hash(subject))}@zoe>",
                             **extra})

    def join(self) -> None:
        """``join``; the list asks for the key, the token in the subject."""
        replies = self.send((self.headers("join") + "Content-Type: text/plain\n\n").encode())
        request = next(m for m in replies if "key set" in str(m["Subject"]))
        self.tokens.append(re.search(r"key set ([0-9a-f]+)", str(request["Subject"])).group(1))

    def send_key(self) -> None:
        """The reply with the key attached; the list sends a challenge encrypted to it."""
        boundary = "------------keyreply"
        raw = (self.headers(f"Re: key set {self.tokens[-1]}", **{"MIME-Version": "1.0"})
               + f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'
               + f"--{boundary}\nContent-Type: text/plain\n\nMy key.\n\n"
               + f'--{boundary}\nContent-Type: application/pgp-keys; name="zoe.asc"\n\n'
               + self.zoe.client.export(ZOE) + f"\n--{boundary}--\n")
        challenge = next(m for m in self.send(raw.encode()) if m["Subject"] == "key confirm")
        text = text_of(read_as(self.zoe.client, challenge))
        self.tokens.append(re.match(r"key confirm ([0-9a-f]+)\n", text).group(1))

    def prove(self) -> str:
        """The signed answer to the challenge; the text of the list's reply."""
        content = text_body(f"key confirm {self.tokens[-1]}\n")
        signature = self.zoe.client.sign_detached(content, ZOE)
        raw = (self.headers("Re: key confirm", **{"MIME-Version": "1.0"}).encode()
               + pgp_mime_signed_entity(content, signature))
        reply = next(m for m in self.send(raw) if "results" in str(m["Subject"]))
        return text_of(read_as(self.zoe.client, reply))


def requests(rest_url, list_id: str, owner: str | None = None) -> list[dict]:
    query = f"?token_owner={owner}" if owner else ""
    content, response = call_api(rest_url(f"3.1/lists/{list_id}/requests{query}"))
    return content.get("entries", [])


def test_a_join_waiting_for_a_moderator_is_decided_through_mailmans_requests(
        mailman, rest_url, people):
    scene = PGPListScenario(mailman, people)
    list_id = scene.mlist.list_id
    with transaction():
        scene.mlist.subscription_policy = SubscriptionPolicy.moderate
    key_url = rest_url(f"3.1/plugins/pgp/addresses/{quote(ZOE)}/key")
    joining = Joining(scene, people["zoe"])
    joining.join()
    joining.send_key()
    # The key is held, not confirmed; the request waits for Zoe, not for a moderator.
    key, response = call_api(key_url)
    assert (key["fingerprint"], key["confirmed"]) == (people["zoe"].fingerprint, False)
    assert [(r["email"], r["token_owner"]) for r in requests(rest_url, list_id)] == [
        (ZOE, "subscriber")]
    assert requests(rest_url, list_id, "moderator") == []

    assert "Your request to join waits for a moderator." in joining.prove()
    key, response = call_api(key_url)
    assert key["confirmed"] is True
    [waiting] = requests(rest_url, list_id, "moderator")
    assert (waiting["email"], waiting["token_owner"]) == (ZOE, "moderator")
    assert scene.mlist.members.get_member(ZOE) is None

    content, response = call_api(rest_url(f"3.1/lists/{list_id}/requests/{waiting['token']}"),
                                 {"action": "accept"})
    assert response.status_code == 204
    config.db.abort()
    assert scene.mlist.members.get_member(ZOE) is not None
    assert requests(rest_url, list_id) == []


def test_the_key_events_of_a_join_carry_no_key_and_no_token(mailman, people):
    with capture() as captured:
        scene = PGPListScenario(mailman, people)
        joining = Joining(scene, people["zoe"])
        joining.join()
        joining.send_key()
        assert "You are now a member" in joining.prove()
    fired = [entry for entry in captured if entry.name in PLUGIN_EVENTS]
    assert [entry.name for entry in fired] == [
        "ListKeyCreatedEvent", "KeySetEvent", "KeyConfirmedEvent"]
    identifiers = {scene.mlist.list_id, scene.list_fingerprint, ZOE, people["zoe"].fingerprint}
    key_lines = [line for line in people["zoe"].client.export(ZOE).splitlines()
                 if len(line) >= 16 and not line.startswith("-----")]
    assert len(joining.tokens) == 2 and key_lines
    for entry in fired:
        for payload in (entry.plain, entry.with_secrets):
            assert set(payload.values()) <= identifiers, (entry.name, payload)
            text = json.dumps(payload)
            assert not [token for token in joining.tokens if token in text], entry.name
            assert not [line for line in key_lines if line in text], entry.name
