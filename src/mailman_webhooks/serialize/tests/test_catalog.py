# Test that the table of known events covers every event class of the installed Mailman, and
# that the table of the PGP plugin's events stands apart from it (held to the PGP plugin's
# classes by tests/test_pgp_webhook_events.py, where both plugins may be imported).

import ast
import dataclasses
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path

import mailman
import pytest

from mailman_webhooks import change_events, delivery_events
from mailman_webhooks.serialization import ADDED_FIELDS, CHANGE_EVENTS, KNOWN_EVENTS
from mailman_webhooks.serialize.catalog import DELIVERY_EVENTS, PLUGIN_EVENTS

# Classes of Mailman whose names end in "Event" but that are never fired through
# zope.event, each with the reason; a webhook can never carry them.
NOT_FIRED = {
    "MembershipChangeEvent": "base class of SubscriptionEvent and UnsubscriptionEvent",
    "ChainEvent": "base class of the chain decision events",
    "BounceEvent": "a database model: one bounce record, not a notification",
    "IBounceEvent": "the interface of that model",
    "InvalidBounceEvent": "an exception",
}

MAILMAN_ROOT = Path(mailman.__file__).parent


@dataclass
class ClassInfo:
    module: str
    node: ast.ClassDef


def _is_test_module(relative: Path) -> bool:
    return "tests" in relative.parts or relative.name.startswith("test_")


def _module_name(relative: Path) -> str:
    parts = ["mailman", *relative.with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _notify_names(tree: ast.Module) -> set[str]:
    """How this module spells zope.event.notify: ``notify``, ``event.notify``, ..."""
    spellings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "zope.event":
            spellings |= {a.asname or a.name for a in node.names if a.name == "notify"}
        elif isinstance(node, ast.ImportFrom) and node.module == "zope":
            spellings |= {f"{a.asname or a.name}.notify" for a in node.names if a.name == "event"}
        elif isinstance(node, ast.Import):
            spellings |= {
                f"{a.asname}.notify" if a.asname else "zope.event.notify"
                for a in node.names
                if a.name == "zope.event"
            }
    return spellings


def _scan() -> tuple[dict[str, list[ClassInfo]], dict[str, list[str]], list[str]]:
    """Classes by name, fired class names with where, and notify calls not understood."""
    classes: dict[str, list[ClassInfo]] = {}
    fired: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for path in sorted(MAILMAN_ROOT.rglob("*.py")):
        relative = path.relative_to(MAILMAN_ROOT)
        if _is_test_module(relative):
            continue
        module = _module_name(relative)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, []).append(ClassInfo(module, node))
        spellings = _notify_names(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) in spellings):
                continue
            where = f"{relative}:{node.lineno}"
            argument = node.args[0] if len(node.args) == 1 and not node.keywords else None
            if isinstance(argument, ast.Call):
                fired.setdefault(ast.unparse(argument.func).split(".")[-1], []).append(where)
            else:
                unresolved.append(where)
    return classes, fired, unresolved


CLASSES, FIRED, UNRESOLVED = _scan()
EVENT_NAMED = sorted(name for name in CLASSES if name.endswith("Event"))


def _public_attributes(name: str) -> set[str]:
    """Names an event class and its Mailman bases assign as ``self.NAME`` in ``__init__``."""
    (info,) = CLASSES[name]
    names: set[str] = set()
    for item in info.node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            for node in ast.walk(item):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.ctx, ast.Store)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "self"
                ):
                    names.add(node.attr)
    for base in info.node.bases:
        if isinstance(base, ast.Name) and base.id in CLASSES:
            names |= _public_attributes(base.id)
    return {attribute for attribute in names if not attribute.startswith("_")}


def test_scan_finds_mailmans_events():
    # Guards the scan itself: these are fired in Mailman 3.3.10 and must be found.
    assert {"SubscriptionEvent", "ListCreatedEvent", "HoldEvent", "RunnerCrashEvent"} <= set(
        FIRED
    )
    assert UNRESOLVED == [], f"notify() calls whose event class is not visible: {UNRESOLVED}"


@pytest.mark.parametrize("name", sorted(FIRED))
def test_every_fired_class_is_known(name):
    assert name in KNOWN_EVENTS, (
        f"Mailman fires {name} ({', '.join(FIRED[name])}); add it to the table of known "
        "events and to docs/webhooks-consumer.md"
    )


@pytest.mark.parametrize("name", EVENT_NAMED)
def test_every_class_named_event_is_known_or_never_fired(name):
    assert (name in KNOWN_EVENTS) != (name in NOT_FIRED), name
    if name in NOT_FIRED:
        assert name not in FIRED


@pytest.mark.parametrize("name", sorted(KNOWN_EVENTS))
def test_known_event_is_defined_where_the_table_says(name):
    spec = KNOWN_EVENTS[name]
    event_class = getattr(importlib.import_module(spec.module), name)
    assert event_class.__name__ == name
    assert [info.module for info in CLASSES[name]] == [spec.module]


def _added_fields(name: str) -> set[str]:
    event_class = getattr(importlib.import_module(KNOWN_EVENTS[name].module), name)
    return {
        field for klass, fields in ADDED_FIELDS if issubclass(event_class, klass)
        for field, _read in fields
    }


@pytest.mark.parametrize("name", sorted(KNOWN_EVENTS))
def test_known_event_fields_are_its_attributes(name):
    assert set(KNOWN_EVENTS[name].fields) == _public_attributes(name) | _added_fields(name)
    assert all(description.strip() for description in KNOWN_EVENTS[name].fields.values())


@pytest.mark.parametrize("name", sorted(PLUGIN_EVENTS))
def test_a_plugin_event_is_no_mailman_event_and_names_its_fields(name):
    spec = PLUGIN_EVENTS[name]
    assert name not in KNOWN_EVENTS and name not in CLASSES
    assert not spec.module.startswith(("mailman.", "mailman_webhooks."))
    assert spec.description.strip() and spec.fields
    assert all(description.strip() for description in spec.fields.values())


def test_every_change_event_class_is_in_the_table():
    defined = {
        name for name, value in vars(change_events).items()
        if inspect.isclass(value) and value.__module__ == change_events.__name__
    }
    assert defined == set(CHANGE_EVENTS)


@pytest.mark.parametrize("name", sorted(CHANGE_EVENTS))
def test_a_change_event_is_no_mailman_event_and_its_fields_are_its_own(name):
    spec = CHANGE_EVENTS[name]
    event_class = getattr(importlib.import_module(spec.module), name)
    assert name not in KNOWN_EVENTS and name not in CLASSES and name not in PLUGIN_EVENTS
    assert list(spec.fields) == [field.name for field in dataclasses.fields(event_class)]
    assert spec.description.strip()
    assert all(description.strip() for description in spec.fields.values())


def test_every_delivery_event_class_is_in_the_table():
    defined = {
        name for name, value in vars(delivery_events).items()
        if inspect.isclass(value) and value.__module__ == delivery_events.__name__
    }
    assert defined == set(DELIVERY_EVENTS) == delivery_events.NAMES


@pytest.mark.parametrize("name", sorted(DELIVERY_EVENTS))
def test_a_delivery_event_is_no_other_event_and_its_fields_are_its_own(name):
    spec = DELIVERY_EVENTS[name]
    event_class = getattr(importlib.import_module(spec.module), name)
    assert name not in KNOWN_EVENTS and name not in CLASSES
    assert name not in PLUGIN_EVENTS and name not in CHANGE_EVENTS
    assert list(spec.fields) == [field.name for field in dataclasses.fields(event_class)]
    assert spec.description.strip()
    assert all(description.strip() for description in spec.fields.values())
