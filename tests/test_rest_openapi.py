# Test that docs/openapi/ describes both plugins' REST APIs as the running REST server
# answers them: every documented operation answers, every path that answers is documented,
# and schemathesis, run against the server with real and missing objects, finds no server
# error, no error without a description, no answer outside the spec and no secret.

from __future__ import annotations

import base64
import copy
import re
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_string
from functools import partial
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from mailman.app.lifecycle import create_list
from mailman.app.moderator import hold_message
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.email.message import Message
from mailman.interfaces.subscriptions import ISubscriptionManager
from mailman.interfaces.usermanager import IUserManager
from mailman.rest.helpers import ChildError
from mailman.testing.helpers import get_queue_messages
from schemathesis import GenerationMode
from zope.component import getUtility

from mailman_pgp.app.archive_keys import add_archive_key
from mailman_pgp.app.keys import set_address_key
from mailman_pgp.app.lists import make_pgp_list
from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import generate_key
from mailman_pgp.workflows.key_change import PGPKeyChangeWorkflow
from mailman_webhooks import admin, outbox
from mailman_webhooks.clock import utcnow
from mailman_webhooks.configuration import webhooks_settings
from mailman_webhooks.model import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent
from mailman_webhooks.rest.tests.helpers import ALPHA_API_KEY, ALPHA_SECRET

pytestmark = pytest.mark.mailman

ROOT = Path(__file__).resolve().parents[1]
SPECS = {name: ROOT / "docs" / "openapi" / f"{name}.yaml" for name in ("pgp", "webhooks")}
METHODS = ("get", "post", "put", "patch", "delete")

# Fuzzed cases per operation (each one request), on top of the spec's examples and the
# coverage phase's deterministic cases (each parameter missing, of the wrong type, at its
# bounds...). Derandomized and seeded: every run, and CI, sends the same requests.
MAX_EXAMPLES = 20
SEED = 3310


def spec(plugin: str) -> dict[str, Any]:
    return yaml.safe_load(SPECS[plugin].read_text())


def operations(plugin: str) -> list[tuple[str, str]]:
    """(method, path template) of every documented operation, path relative to the root."""
    return [(method, path) for path, item in spec(plugin)["paths"].items()
            for method in METHODS if method in item]


def credentials() -> tuple[str, str]:
    return config.webservice.admin_user, config.webservice.admin_pass


def basic_auth() -> str:
    user, password = credentials()
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def plugin_url(rest_url, plugin: str, path: str = "") -> str:
    return rest_url(f"3.1/plugins/{plugin}{path}")


# The objects every test of this module finds on the server, so that requests hit real
# lists, keys, key changes, endpoints and deliveries as well as missing ones; and what no
# answer may ever contain.
#
# Cases are built when tests are collected, before Mailman (and so any object) exists:
# they carry sentinels, `world-<kind>-<n>` (a number from ID_SENTINEL for a delivery id),
# which become the n-th value of that kind of the test's world when the request is sent.
# A kind is the name of the path or query parameter it fills, or a kind of body value.

ID_SENTINEL = 880_000_000
# Nothing a client percent-encodes: path parameters are encoded when the hooks see them.
SENTINEL = re.compile(r"world-([a-z_]+)-([0-9]+)")


def sentinel(kind: str, index: int) -> Any:
    return ID_SENTINEL + index if kind == "id" else f"world-{kind}-{index}"


# How many values of each kind a world has, and the bodies worth sending, per plugin. The
# last list_id, token, email, name and endpoint hold a NUL character, which PostgreSQL
# cannot look up (path values are given percent-encoded, as schemathesis keeps them).
KINDS = {
    # A PGP list, a list that is not one; a token of a key change waiting for a moderator;
    # an address with a confirmed key and a pending key change, one with a key, one without.
    # A post the PGP list holds for a moderator. A key the PGP list's archive is encrypted to.
    "pgp": {"list_id": 3, "token": 2, "email": 4, "request_id": 2, "fingerprint": 2},
    # Endpoints alpha (signed, with an api_key) and beta (disabled); deliveries pending,
    # delivered with attempts, leased by a runner, to an endpoint gone from the configuration.
    "webhooks": {"name": 3, "id": 4, "endpoint": 4, "event": 1},
}
BODIES: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {
    "pgp": {
        # A list to make a PGP list, the PGP list again, a List-ID with NUL.
        ("post", "/lists"): [{"list_id": sentinel("spare_list", 0)},
                             {"list_id": sentinel("list_id", 0)},
                             {"list_id": sentinel("spare_list", 1)}],
        # A new key for the address without one, the registered key of another again, and
        # a secret key (refused, and never echoed).
        ("put", "/addresses/{email}/key"): [{"public_key": sentinel("key", 0)},
                                            {"public_key": sentinel("key", 1)},
                                            {"public_key": sentinel("secret_key", 0)}],
    },
    "webhooks": {},
}
# A key goes to the address its user ID names.
KEY_OWNERS = {sentinel("key", 0): sentinel("email", 2), sentinel("key", 1): sentinel("email", 1),
              sentinel("secret_key", 0): sentinel("email", 2)}


@dataclass
class World:
    # The values of each kind.
    values: dict[str, list[Any]]
    # Strings that must appear in no answer.
    secrets: list[str] = field(default_factory=list)

    def resolve(self, value: Any) -> Any:
        """A sentinel's value in this world; any other value as it is."""
        if isinstance(value, int) and not isinstance(value, bool):
            if ID_SENTINEL <= value < ID_SENTINEL + len(self.values.get("id", [])):
                return self.values["id"][value - ID_SENTINEL]
            return value
        if isinstance(value, str) and (match := SENTINEL.fullmatch(value)):
            return self.values[match.group(1)][int(match.group(2))]
        return value

    def resolve_case(self, case) -> None:
        """Put this world's values in place of the sentinels of a case."""
        body = case.body
        if isinstance(body, dict):
            key = body.get("public_key")
            owner = KEY_OWNERS.get(key) if isinstance(key, str) else None
            if owner is not None and case.path_parameters:
                case.path_parameters = {**case.path_parameters, "email": owner}
            case.body = {name: self.resolve(value) for name, value in body.items()}
        for location in ("path_parameters", "query"):
            container = getattr(case, location)
            if container:
                setattr(case, location, {name: self.resolve(value)
                                         for name, value in container.items()})


PGP_LIST = "ant.example.com"
PLAIN_LIST = "bee.example.com"
SPARE_LIST = "cat.example.com"
ZOE = "zoe@example.com"
YVES = "yves@example.com"
XENA = "xena@example.com"
# The webhooks test configuration (endpoints.cfg): what alpha holds and must never show.
ALPHA_SECRETS = [
    "whsec_",
    ALPHA_API_KEY,
    ALPHA_SECRET,
    ALPHA_SECRET.removeprefix("whsec_"),
    base64.b64decode(ALPHA_SECRET.removeprefix("whsec_")).decode(),
    "user:pass@",
    "in-the-url",
]
# A post held on the PGP list (in plaintext: a list's policy may hold one).
HELD_POST = (f"From: {ZOE}\nTo: ant@example.com\nSubject: Held\n"
             "Message-ID: <held-world@example.com>\n\nA held post.\n")
# A confirmation token kept in an event's secret payload: never shown by REST.
SECRET_TOKEN = "confirmation-token-never-shown-0f3c"


def armored_secret_key(key) -> str:
    """A secret key as a subscriber's client would export it (and must never send)."""
    return str(key._tsk)


def secret_marker(armor: str, public: str = "") -> str:
    """A line of an armored secret that gives it away: one its public half does not have."""
    lines = [line for line in armor.splitlines() if len(line) == 64 and line not in public]
    return lines[len(lines) // 2]


def secret_key_markers(*keys) -> list[str]:
    return [secret_marker(armored_secret_key(key), key.certificate.armor) for key in keys]


def pgp_secrets(pgp_list_id: str) -> list[str]:
    """The list keys' passphrase and any armored secret key; the list key's stored
    (encrypted) secret key and its secret key."""
    manager = getUtility(IPGPListManager)
    pgp_list = manager.get(pgp_list_id)
    return [
        pgp_config().key_passphrase,
        "PRIVATE KEY BLOCK",
        secret_marker(bytes(pgp_list.protected_secret_key).decode()),
        *secret_key_markers(manager.secret_key(pgp_list)),
    ]


@pytest.fixture
def pgp_world(mailman_rest) -> World:
    """A PGP list whose member zoe has a key change waiting for a moderator; a plain
    list; a list free to become a PGP list; yves with a key, xena without."""
    with transaction():
        ant = create_list("ant@example.com")
        create_list("bee@example.com")
        create_list("cat@example.com")
        make_pgp_list(ant)
        zoe_key = generate_key(f"Zoe <{ZOE}>")
        ant.subscribe(getUtility(IUserManager).create_address(ZOE))
        set_address_key(ZOE, zoe_key.certificate.armor, confirmed=True)
        yves_key = generate_key(f"Yves <{YVES}>")
        set_address_key(YVES, yves_key.certificate.armor, confirmed=True)
        archive_key, _ = add_archive_key(PGP_LIST, yves_key.certificate.armor)
    new = generate_key(f"Zoe (new) <{ZOE}>").certificate
    with transaction():
        workflow = PGPKeyChangeWorkflow(ant, ZOE, new)
        list(workflow)
        token, _, _ = ISubscriptionManager(ant).resume(workflow.token)
    get_queue_messages("virgin")
    with transaction():
        request_id = hold_message(ant, message_from_string(HELD_POST, Message), {}, "world")
    xena_key = generate_key(f"Xena <{XENA}>")
    secrets = pgp_secrets(PGP_LIST) + secret_key_markers(zoe_key, yves_key, xena_key)
    config.db.commit()
    return World(
        values={
            "list_id": [PGP_LIST, PLAIN_LIST, "nul%00.example.com"],
            "spare_list": [SPARE_LIST, "nul\x00.example.com"],
            "token": [token, "nul%00"],
            "email": [ZOE, YVES, XENA, "nul%00@example.com"],
            "request_id": [str(request_id), "nul%00"],
            "fingerprint": [archive_key.fingerprint, "nul%00"],
            "key": [xena_key.certificate.armor, yves_key.certificate.armor],
            "secret_key": [armored_secret_key(xena_key)],
        },
        secrets=secrets,
    )


@pytest.fixture
def webhooks_world(mailman_rest) -> World:
    """Deliveries pending, delivered with attempts, leased by a runner, and to an endpoint
    gone from the configuration; beta disabled after a 410."""
    store = config.db.store
    now = utcnow()
    with transaction():
        pending = admin.ping(store, webhooks_settings().endpoints["alpha"], now)
        event = WebhookEvent("SubscriptionEvent", now, {"mailing_list": PGP_LIST},
                             {"token": SECRET_TOKEN})
        delivered = WebhookDelivery(event, "alpha", now)
        busy = WebhookDelivery(event, "beta", now)
        gone = WebhookDelivery(event, "gone", now)
        store.add_all([delivered, busy, gone])
        store.flush()
        store.add(WebhookAttempt(delivered.id, now, 503, 0.01, "HTTP 503 Service Unavailable"))
        store.add(WebhookAttempt(delivered.id, now, 200, 0.01, None))
        delivered.attempts = 2
        delivered.status = DeliveryStatus.delivered
        delivered.finished_at = now
        gone.status = DeliveryStatus.failed
        gone.finished_at = now
        busy.claimed_by = "another runner"
        busy.claimed_until = now + timedelta(hours=1)
        outbox.disable_endpoint(store, "beta", "HTTP 410 Gone", now)
        ids = [pending.id, delivered.id, busy.id, gone.id]
    config.db.commit()
    return World(
        values={
            "name": ["alpha", "beta", "nul%00"],
            "id": ids,
            "endpoint": ["alpha", "beta", "gone", "nul\x00"],
            "event": ["SubscriptionEvent"],
        },
        secrets=[*ALPHA_SECRETS, SECRET_TOKEN],
    )


def assert_no_secret(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{where} shows a secret: {secret[:12]}..."


# Every documented path answers; every path that answers is documented.

PLACEHOLDER = "probe-value"
# Segments a careless resource might answer besides the documented ones.
SUSPECT_SEGMENTS = ["secret", "secret-key", "private", "passphrase", "export", "keys",
                    "config", "settings", "attempts", "payload", "api_key"]


def child_names(obj: Any) -> set[str]:
    """The static segments an object's ``@child()`` methods match (Mailman's router)."""
    names = set()
    for name in dir(obj):
        if name.startswith("__"):
            continue
        matcher = getattr(getattr(obj, name, None), "__matcher__", None)
        if isinstance(matcher, str) and not matcher.startswith("^"):
            names.add(matcher)
    return names


def module_child_names(package: str) -> set[str]:
    """The ``@child()`` segments of every class in a plugin's REST modules."""
    names: set[str] = set()
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith(package) or module is None:
            continue
        for value in vars(module).values():
            if isinstance(value, type):
                names |= child_names(value)
    return names


def answering_methods(resource: Any) -> set[str]:
    """The methods a routed resource has a responder for; none for Mailman's 404s."""
    if resource is None or isinstance(resource, ChildError):
        return set()
    return {method for method in METHODS if callable(getattr(resource, f"on_{method}", None))}


def walk(plugin: str, package: str, vocabulary: set[str], depth: int) -> dict[str, set[str]]:
    """Every path below the plugin's root that Mailman's router (the REST server's own)
    routes to a resource with responders, as {path: methods}.

    Paths are made of ``vocabulary``, the ``@child()`` segments of the plugin's resources
    and a placeholder for parameters, up to ``depth`` segments; below every routed path,
    each of `SUSPECT_SEGMENTS` is tried too. A path the router does not route ends the
    walk below it; one routed to Mailman's 404 resource does not, since a child may
    consume several segments at once (``addresses/<email>/key``).
    """
    import importlib
    import pkgutil

    # Mailman's REST modules read the configuration when imported.
    from mailman.rest.root import Root
    from mailman.rest.wsgiapp import ObjectRouter

    rest = importlib.import_module(f"{package}.rest")
    for info in pkgutil.iter_modules(rest.__path__):
        importlib.import_module(f"{package}.rest.{info.name}")
    words = vocabulary | module_child_names(f"{package}.rest") | {PLACEHOLDER}
    router = ObjectRouter(Root())
    found: dict[str, set[str]] = {}

    def route(path: tuple[str, ...]) -> Any:
        resource, _, _ = router.find("/3.1/plugins/" + "/".join((plugin, *path)))
        if resource is not None and (methods := answering_methods(resource)):
            found["/" + "/".join(path)] = methods
        return resource

    frontier: list[tuple[str, ...]] = [()]
    for _ in range(depth):
        next_frontier = []
        for segments in frontier:
            for word in sorted(words):
                resource = route((*segments, word))
                if resource is None:
                    continue
                next_frontier.append((*segments, word))
                # A resource's own children extend the vocabulary below it.
                words |= child_names(resource)
                for suspect in SUSPECT_SEGMENTS:
                    route((*segments, word, suspect))
        frontier = next_frontier
    config.db.abort()
    return found


def template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


@pytest.mark.parametrize(("plugin", "package"), [("pgp", "mailman_pgp"),
                                                 ("webhooks", "mailman_webhooks")])
def test_every_path_that_answers_is_documented(mailman, plugin, package):
    documented: dict[str, set[str]] = {}
    for method, template in operations(plugin):
        documented.setdefault(template, set()).add(method)
    literal = {segment for template in documented for segment in template.split("/")
               if segment and not segment.startswith("{")}
    deepest = max(template.count("/") for template in documented)
    answering = walk(plugin, package, literal, deepest + 1)
    routes: dict[str, set[str]] = {}
    for path, methods in answering.items():
        templates = [template for template in documented if template_regex(template).match(path)]
        assert templates, f"{path} answers {sorted(methods)} but is not in {SPECS[plugin].name}"
        # The most literal template wins: lists/key would be lists/{list_id}.
        template = max(templates, key=lambda each: each.count("{") * -1)
        routes.setdefault(template, set()).update(methods)
    assert routes == documented


def real_path(template: str, world: World) -> str:
    """The path of a template with the first value of the world for each parameter."""
    return re.sub(r"\{([^}]+)\}", lambda match: str(world.values[match.group(1)][0]), template)


# A request each operation answers without a 404 when its path names real objects.
FIRST_BODY: dict[str, Any] = {"put": {}, "patch": {}, "post": {}}


@pytest.mark.parametrize("plugin", ["pgp", "webhooks"])
def test_every_documented_operation_answers(rest_url, request, plugin):
    world = request.getfixturevalue(f"{plugin}_world")
    paths = spec(plugin)["paths"]
    # Deleting last: the other operations still find the key.
    ordered = sorted(operations(plugin), key=lambda each: each[0] == "delete")
    for method, template in ordered:
        url = plugin_url(rest_url, plugin, real_path(template, world))
        response = requests.request(method.upper(), url, auth=credentials(),
                                    json=FIRST_BODY.get(method), timeout=30)
        documented = set(paths[template][method]["responses"])
        assert str(response.status_code) in documented, (method, template, response.text)
        assert response.status_code not in (404, 405), (method, template, response.text)
        assert_no_secret(response.text, world.secrets, f"{method.upper()} {template}")
    for template, item in paths.items():
        for method in set(METHODS) - set(item):
            url = plugin_url(rest_url, plugin, real_path(template, world))
            response = requests.request(method.upper(), url, auth=credentials(), timeout=30)
            assert response.status_code == 405, (method, template, response.status_code)


# schemathesis: generated requests, each checked against the spec.

def error_has_description(ctx, response, case):
    """Every error answer of a documented operation is JSON with a description (Mailman's
    error form). An undocumented method (schemathesis tries TRACE, DELETE, ...) gets the
    405 of falcon's default responder, which Mailman's router installs for every resource,
    its own included: ``{"title": "405 Method Not Allowed"}``."""
    if response.status_code < 400 or case.method.lower() not in case.operation.definition.raw:
        return None
    body = response.json()
    assert isinstance(body, dict) and body.get("description"), (
        f"{response.status_code} without a description: {response.text[:200]}")
    return None


SCHEMATHESIS_CONFIG = {
    "seed": SEED,
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
        "mode": "all",
        # The credentials go with every request (call_and_check); requests without them
        # and with wrong ones are test_rest_security's.
        "with-security-parameters": False,
    },
    "phases": {"stateful": {"enabled": False}},
    "checks": {
        # Mailman answers 400 for what the spec cannot express: `count` without `page`,
        # a string that is not an OpenPGP key, an unknown endpoint name as a filter.
        "positive_data_acceptance": {"enabled": False},
    },
}


def with_world_examples(raw: dict[str, Any], plugin: str) -> dict[str, Any]:
    """The spec with the world's sentinels as examples of its parameters and bodies, so
    that the examples and coverage phases name real objects too."""
    raw = copy.deepcopy(raw)
    kinds = KINDS[plugin]
    parameters = list(raw.get("components", {}).get("parameters", {}).values())
    for item in raw["paths"].values():
        parameters += item.get("parameters", [])
        parameters += [each for method in METHODS for each in item.get(method, {})
                       .get("parameters", [])]
    for parameter in parameters:
        if "$ref" in parameter or parameter["name"] not in kinds:
            continue
        examples = {f"world{index}": {"value": sentinel(parameter["name"], index)}
                    for index in range(kinds[parameter["name"]])}
        if "example" in parameter:
            examples["documented"] = {"value": parameter.pop("example")}
        parameter["examples"] = examples
    for (method, path), bodies in BODIES[plugin].items():
        for media in raw["paths"][path][method]["requestBody"]["content"].values():
            media["examples"] = {f"world{index}": {"value": body}
                                 for index, body in enumerate(bodies)}
    return raw


def with_world(case, choice: int, index: int):
    """``case`` with some of its path and query values (bit k of ``choice`` for the k-th)
    the ``index``-th sentinel of their kind, and maybe a body worth sending."""
    plugin = "pgp" if "/plugins/pgp" in case.operation.schema.raw_schema["servers"][0]["url"] \
        else "webhooks"
    kinds = KINDS[plugin]
    real = case.derive(keep_auth=True)
    bit = 0
    for location in ("path_parameters", "query"):
        container = dict(getattr(real, location) or {})
        for name in sorted(container):
            if name in kinds and choice >> bit & 1:
                container[name] = sentinel(name, index % kinds[name])
            bit += 1
        if container:
            setattr(real, location, container)
    bodies = BODIES[plugin].get((case.method.lower(), case.path), [])
    if bodies and choice >> bit & 1:
        real.body = dict(bodies[index % len(bodies)])
    return real


def load_schema(plugin: str):
    raw = with_world_examples(spec(plugin), plugin)
    schema = schemathesis.openapi.from_dict(
        raw, config=schemathesis.Config.from_dict(SCHEMATHESIS_CONFIG))

    @schema.hook
    def flatmap_case(context, case):
        # Besides each valid case as generated, the same case naming real objects, or with
        # a body worth sending.
        if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
            return st.just(case)
        return st.one_of(st.just(case), st.builds(partial(with_world, case),
                                                  st.integers(1, 15), st.integers(0, 5)))

    @schema.hook
    def map_headers(context, headers):
        # falcon, under Mailman's REST server, writes the body of the errors it raises itself
        # (401 from Mailman's authentication, 405, malformed JSON) only for a client that
        # accepts JSON: a generated `Accept: Ni` gets an empty 401. Clients accept JSON.
        if headers:
            headers = {name: value for name, value in headers.items()
                       if name.lower() != "accept"}
        return headers

    return schema


PGP_SCHEMA = load_schema("pgp")
WEBHOOKS_SCHEMA = load_schema("webhooks")


def call_and_check(case, plugin: str, world: World, rest_url) -> None:
    """Send the case with credentials; the spec's checks, ours, and no secret."""
    world.resolve_case(case)
    response = case.call_and_validate(base_url=plugin_url(rest_url, plugin), timeout=30,
                                      headers={"Authorization": basic_auth()},
                                      additional_checks=[error_has_description])
    assert_no_secret(response.text, world.secrets, f"{case.method} {case.formatted_path}")
    assert_no_secret(str(response.headers), world.secrets, "a header")


# Function-scoped fixtures on purpose: each operation starts from a fresh world.
@PGP_SCHEMA.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_pgp_api(case, pgp_world, rest_url):
    call_and_check(case, "pgp", pgp_world, rest_url)


@WEBHOOKS_SCHEMA.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_webhooks_api(case, webhooks_world, rest_url):
    call_and_check(case, "webhooks", webhooks_world, rest_url)
