# Test that both plugins' REST APIs refuse every documented operation without credentials
# and with wrong ones (401, nothing changed), and that no answer carries secret material:
# a secret key, the list keys' passphrase, an endpoint's secret or api_key, a confirmation
# token. The schemathesis run of test_rest_openapi scans every answer it gets; this module
# walks every resource of a populated server and scans what it answers.

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
from mailman.config import config
from test_rest_openapi import (
    BODIES,
    KEY_OWNERS,
    World,
    assert_no_secret,
    basic_auth,
    operations,
    pgp_world,
    plugin_url,
    real_path,
    webhooks_world,
)

pytestmark = pytest.mark.mailman

__all__ = ["pgp_world", "webhooks_world"]


def wrong_credentials() -> dict[str, dict[str, str]]:
    """Authorization headers that are well formed but not the administrator's."""
    user, password = config.webservice.admin_user, config.webservice.admin_pass

    def basic(text: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(text.encode()).decode()}

    return {
        "none": {},
        "wrong-password": basic(f"{user}:{password}x"),
        "password-prefix": basic(f"{user}:{password[:-1]}"),
        "unknown-user": basic(f"{user}x:{password}"),
        "empty": basic(":"),
        "swapped": basic(f"{password}:{user}"),
        "bearer": {"Authorization": f"Bearer {password}"},
    }


# Authorization headers Mailman cannot even read: its authentication raises ValueError,
# which its REST server answers 400 (Mailman's middleware, before any resource of ours).
MALFORMED = {
    "no-colon": "Basic " + base64.b64encode(b"restadmin").decode(),
    "not-base64": "Basic %%%",
    "not-utf8": "Basic " + base64.b64encode(b"restadmin:\xff\xfe").decode(),
}


def first_body(plugin: str, method: str, path: str, world: World) -> dict[str, Any] | None:
    """A body the operation would carry out (if any): the world's first one for it."""
    bodies = BODIES[plugin].get((method, path))
    if bodies:
        return {name: world.resolve(value) for name, value in bodies[0].items()}
    return {"put": {}, "patch": {"disabled": True}, "post": {"action": "accept"}}.get(method)


def target(plugin: str, method: str, path: str, world: World) -> str:
    """The path of an operation naming real objects; a key goes to its owner."""
    bodies = BODIES[plugin].get((method, path))
    if bodies and (owner := KEY_OWNERS.get(bodies[0].get("public_key"))):
        return path.replace("{email}", world.resolve(owner))
    return real_path(path, world)


def state(rest_url, plugin: str, world: World) -> list[str]:
    """What every GET of the world answers, to compare before and after."""
    answers = []
    for method, path in operations(plugin):
        if method == "get":
            url = plugin_url(rest_url, plugin, real_path(path, world))
            response = requests.get(url, headers={"Authorization": basic_auth()}, timeout=30)
            answers.append(f"{path} {response.status_code} {response.text}")
    return answers


@pytest.mark.parametrize("plugin", ["pgp", "webhooks"])
def test_every_operation_refuses_wrong_credentials(rest_url, request, plugin):
    world = request.getfixturevalue(f"{plugin}_world")
    before = state(rest_url, plugin, world)
    refused = 0
    for method, path in operations(plugin):
        url = plugin_url(rest_url, plugin, target(plugin, method, path, world))
        body = first_body(plugin, method, path, world)
        for name, headers in wrong_credentials().items():
            response = requests.request(method.upper(), url, json=body, headers=headers,
                                        timeout=30)
            where = f"{method.upper()} {path} with {name} credentials"
            assert response.status_code == 401, where
            assert response.json() == {"title": "401 Unauthorized",
                                       "description": "REST API authorization failed"}, where
            assert response.headers["www-authenticate"].startswith("Basic "), where
            refused += 1
        for name, value in MALFORMED.items():
            response = requests.request(method.upper(), url, json=body, timeout=30,
                                        headers={"Authorization": value})
            where = f"{method.upper()} {path} with {name} credentials"
            assert response.status_code in (400, 401), where
            assert response.json()["description"], where
    assert refused == len(operations(plugin)) * len(wrong_credentials())
    # Nothing was done: not a key set, deleted or decided, not an endpoint pinged.
    assert state(rest_url, plugin, world) == before


def walk(rest_url, plugin: str, world: World) -> list[requests.Response]:
    """Every resource the world's objects make reachable, following every link the answers
    give, and every operation carried out once, as an administrator would."""
    seen: set[str] = set()
    answers: list[requests.Response] = []
    auth = {"Authorization": basic_auth()}

    def get(url: str) -> None:
        if url in seen or not url.startswith(plugin_url(rest_url, plugin)):
            return
        seen.add(url)
        response = requests.get(url, headers=auth, timeout=30)
        answers.append(response)
        if response.headers.get("content-type", "").startswith("application/json"):
            follow(response.json())

    def follow(value: Any) -> None:
        if isinstance(value, dict):
            for name, each in value.items():
                if name.endswith("_link") and isinstance(each, str):
                    get(each)
                else:
                    follow(each)
        elif isinstance(value, list):
            for each in value:
                follow(each)

    for method, path in operations(plugin):
        if method == "get":
            get(plugin_url(rest_url, plugin, real_path(path, world)))
    # Then each change, and what it leaves; deleting last.
    for method, path in sorted(operations(plugin), key=lambda each: each[0] == "delete"):
        if method == "get":
            continue
        for body in [first_body(plugin, method, path, world),
                     *({name: world.resolve(value) for name, value in each.items()}
                       for each in BODIES[plugin].get((method, path), [])[1:])]:
            url = plugin_url(rest_url, plugin, target(plugin, method, path, world))
            response = requests.request(method.upper(), url, json=body, headers=auth,
                                        timeout=30)
            answers.append(response)
            if response.headers.get("location"):
                get(response.headers["location"])
            if response.content and response.headers["content-type"].startswith(
                    "application/json"):
                follow(response.json())
        seen.clear()
        for each in operations(plugin):
            if each[0] == "get":
                get(plugin_url(rest_url, plugin, real_path(each[1], world)))
    return answers


@pytest.mark.parametrize("plugin", ["pgp", "webhooks"])
def test_no_answer_shows_a_secret(rest_url, request, plugin):
    world = request.getfixturevalue(f"{plugin}_world")
    answers = walk(rest_url, plugin, world)
    statuses = {response.status_code for response in answers}
    # The walk reached real objects, and carried out changes.
    assert 200 in statuses and statuses & {201, 202, 204}
    for response in answers:
        where = f"{response.request.method} {response.url}"
        assert_no_secret(response.text, world.secrets, where)
        assert_no_secret(str(response.headers), world.secrets, f"a header of {where}")
    assert len(answers) > 10


def test_the_secrets_scanned_for_are_real(rest_url, pgp_world, webhooks_world):
    # A scan for strings that are not the secrets would pass whatever the answers hold.
    from mailman_pgp.config import pgp_config

    assert pgp_config().key_passphrase in pgp_world.secrets
    assert "PRIVATE KEY BLOCK" in pgp_world.secrets
    # The list key's stored secret key, its secret key, and three subscribers' ones: lines
    # of their armor that their public keys (which REST shows) do not have.
    markers = pgp_world.secrets[2:]
    assert len(markers) == 1 + 1 + 3
    public = [requests.get(plugin_url(rest_url, "pgp", path), timeout=30,
                           headers={"Authorization": basic_auth()}).text
              for path in ("/lists/ant.example.com/key", "/addresses/zoe@example.com/key",
                           "/addresses/yves@example.com/key")]
    assert all(marker not in text for marker in markers for text in public)
    from mailman_webhooks.configuration import webhooks_settings

    alpha = webhooks_settings().endpoints["alpha"]
    assert alpha.api_key in webhooks_world.secrets
    assert alpha.secret is not None and alpha.secret.decode() in webhooks_world.secrets
    # Any endpoint's secret, in the form the configuration gives it.
    assert "whsec_" in webhooks_world.secrets
