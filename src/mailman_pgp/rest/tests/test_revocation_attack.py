# Test that once an administrator records a member's revocation over REST, a PGP list in real
# Mailman stops sending that member copies and refuses posts signed with the revoked key.
#
# The attack: bart's secret key is stolen, so he revokes it. Until the list knows, it keeps
# encrypting every post to the stolen key (the thief reads the list) and accepts posts the
# thief signs with it. Recording the revocation must end both.

from urllib.error import HTTPError

import pytest
from mailman.config import config
from mailman.testing.helpers import call_api

from mailman_pgp.posting.tests.scenario import People, PGPListScenario
from mailman_pgp.testing.client_mail import read_as, text_of


@pytest.fixture
def people():
    cast = People()
    cast.add("anne", "anne@example.com")
    cast.add("bart", "bart@example.com")
    cast.add("cleo", "cleo@example.com")
    # Whoever stole bart's secret key: their gpg signs as bart, with bart's key.
    cast.add("thief", "bart@example.com",
             key=cast["bart"].client.export_secret("bart@example.com"))
    yield cast
    cast.close()


@pytest.fixture
def scenario(mailman_rest, people):
    scene = PGPListScenario(mailman_rest, people)
    scene.subscribe("anne", "bart", "cleo")
    return scene


def post(scenario: PGPListScenario, raw: bytes) -> dict:
    """What each address received for ``raw``, sent the way an MTA sends it."""
    scenario.smtpd.clear()
    assert scenario.send_by_lmtp(raw) == {}
    scenario.run_queues()
    return scenario.delivered()


def revoke_and_record(people: People, rest_url, form: str) -> int:
    """Bart revokes his key in gpg; the administrator PUTs what bart sent them.

    The HTTP status of the PUT is returned rather than raised, so that a list that
    refuses the revocation is shown to go on using the key.
    """
    bart = people["bart"]
    assert bart.client is not None and bart.fingerprint is not None
    bart.client.revoke(bart.fingerprint)
    if form == "revocation-certificate":
        rev_file = bart.client.revocation_certificate(bart.fingerprint)
        sent = rev_file.replace(":-----BEGIN", "-----BEGIN")
    else:
        sent = bart.client.export(bart.email)
    # The REST server is another process, writing to the same database.
    config.db.commit()
    url = rest_url(f"3.1/plugins/pgp/addresses/{bart.email}/key")
    try:
        content, response = call_api(url, method="PUT", json={"public_key": sent})
    except HTTPError as error:
        return error.code
    config.db.abort()
    return response.status_code


FORMS = ["revocation-certificate", "revoked-key-exported"]


@pytest.mark.parametrize("form", FORMS)
def test_the_revoked_member_gets_no_more_copies(scenario, people, rest_url, form):
    before = post(scenario, scenario.pgp_mime_post(people["anne"], "before\n"))
    assert sorted(before) == ["anne@example.com", "bart@example.com", "cleo@example.com"]
    # The thief reads what the list encrypts to bart's key.
    [copy] = before["bart@example.com"]
    opened = people["thief"].client.decrypt(copy.get_payload()[1].get_payload().encode())
    assert opened.has("DECRYPTION_OKAY")

    answer = revoke_and_record(people, rest_url, form)

    after = post(scenario, scenario.pgp_mime_post(people["anne"], "after\n"))
    assert sorted(after) == ["anne@example.com", "bart@example.com", "cleo@example.com"]
    assert all(len(copies) == 1 for copies in after.values())
    # bart gets no copy, only the notice that a post was withheld from him.
    [withheld] = after["bart@example.com"]
    assert withheld.get_content_type() == "text/plain"
    assert str(withheld["Subject"]).endswith("was withheld from you")
    assert "after" not in text_of(withheld)
    assert answer == 204
    bart = people["bart"]
    content, response = call_api(rest_url(f"3.1/plugins/pgp/addresses/{bart.email}/key"))
    assert (content["fingerprint"], content["revoked"]) == (bart.fingerprint, True)


@pytest.mark.parametrize("form", FORMS)
def test_a_post_signed_with_the_revoked_key_is_refused(scenario, people, rest_url, form):
    thief = people["thief"]
    before = post(scenario, scenario.pgp_mime_post(thief, "posted by the thief\n"))
    assert sorted(before) == ["anne@example.com", "bart@example.com", "cleo@example.com"]

    answer = revoke_and_record(people, rest_url, form)

    after = post(scenario, scenario.pgp_mime_post(thief, "posted by the thief again\n"))
    assert list(after) == ["bart@example.com"]
    [notice] = after["bart@example.com"]
    explanation = text_of(read_as(people["bart"].client, notice))
    assert f"Your key {people['bart'].fingerprint} has been revoked" in explanation
    assert answer == 204
