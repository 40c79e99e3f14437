# Test that the code keeps the layering of DESIGN.md: imports in mailman_pgp point downward
# only, openpgp/ and mime/ import no Mailman, the two plugins never import each other, the
# plugin kit imports neither, only openpgp/ speaks pysequoia, and nothing imports Django.
"""The layers of ``mailman_pgp``, top to bottom, as the code has them.

Each tier may import the tiers below it, never one above. Packages that share a tier are
independent of each other (a rule does not import the mta package; what both need goes
down into ``posting/``). A module may always import inside its own package.

``config/`` sits low, not at the top beside ``plugin.py`` where DESIGN.md draws it: the
plugin's settings (`pgp_config`) are read by ``app/``, ``posting/`` and ``mta/``, as
Mailman's own ``config`` is read everywhere; config itself reads only the pure libraries.
``app/template_guard.py`` is in ``app/`` like the rest of it: it wraps Mailman's template
and cache managers and is wired by the plugin. ``posting/`` is what the components share
for judging and opening a post; it sits between the components and ``app/``.

Exempt from the order: tests (``*/tests/*``) and ``mailman_pgp.testing``, the test support
shipped in the package, which only tests may import. The purity of ``openpgp/``, ``mime/``
and ``errors.py`` holds for every module of theirs that is not a test. An import made only
for type checking (``if TYPE_CHECKING:``) counts like any other. Imports are read from the
source (the AST), so nothing is imported to run this test.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PGP = "mailman_pgp"
WEBHOOKS = "mailman_webhooks"
KIT = "mailman_plugin_kit"

# Top to bottom. Names are the packages or modules directly under mailman_pgp; a tier of
# several names holds independent siblings. Tiers not in the tree yet keep their place.
TIERS: tuple[tuple[str, ...], ...] = (
    ("plugin",),
    ("rest",),
    # Runners the plugin wires in by configuration; the command runner opens the mail
    # the email commands read.
    ("runners",),
    # Email commands start the key workflows and confirmations, not the other way round.
    ("commands",),
    ("workflows",),
    # Mailman's components, discovered by Mailman in these sub-packages.
    ("rules", "chains", "handlers", "pipelines", "mta", "archivers", "styles"),
    ("posting",),
    ("app",),
    ("model",),
    ("interfaces",),
    ("config",),
    ("i18n",),
    # The pure libraries and the one exception class they all derive from.
    ("mime",),
    ("openpgp",),
    ("errors",),
)
TEST_SUPPORT = f"{PGP}.testing"
PURE = (f"{PGP}.openpgp", f"{PGP}.mime", f"{PGP}.errors")
# What "Mailman" means for the pure libraries: Mailman itself, the frameworks it is built
# on and that a Mailman plugin speaks through, and our own plugin code.
MAILMAN = ("mailman", "zope", "lazr", "sqlalchemy", "falcon", KIT, WEBHOOKS)
# DESIGN.md: openpgp/ works on bytes and keys, never on email messages.
NO_EMAIL = (f"{PGP}.openpgp",)
SEQUOIA = "pysequoia"


@dataclass(frozen=True)
class Import:
    target: str  # the module imported, or the package a name was imported from
    line: int


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    imports: tuple[Import, ...]

    @property
    def is_test(self) -> bool:
        parts = self.name.split(".")
        return "tests" in parts or within(self.name, TEST_SUPPORT)

    def where(self, imported: Import) -> str:
        return f"{self.name} ({self.path}:{imported.line}) imports {imported.target}"


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def within_any(name: str, packages: Iterable[str]) -> bool:
    return any(within(name, package) for package in packages)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(name: str, is_package: bool, source: str, known: Iterable[str]) -> list[Import]:
    """Every import in ``source`` (at any depth), relative ones resolved.

    ``from package import name`` counts as importing the module ``package.name`` when
    that is one of the ``known`` modules, else as importing ``package``.
    """
    known = set(known)
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                candidate = f"{origin}.{alias.name}"
                found.append(Import(candidate if candidate in known else origin, node.lineno))
    return found


def load_modules(root: Path) -> dict[str, Module]:
    paths = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    return {
        name: Module(
            name,
            str(path.relative_to(root.parent)),
            tuple(imports_of(name, path.name == "__init__.py", path.read_text(), paths)),
        )
        for name, path in paths.items()
    }


def tier_of(name: str) -> tuple[int, str] | None:
    """The tier index and the package (under mailman_pgp) of a mailman_pgp module."""
    parts = name.split(".")
    if parts[0] != PGP or len(parts) == 1:
        return None
    for index, tier in enumerate(TIERS):
        if parts[1] in tier:
            return index, parts[1]
    return None


# -- the rules: each gives the offending imports of all the modules, as sentences ----------

Rule = Callable[[Mapping[str, Module]], list[str]]


def downward_only(modules: Mapping[str, Module]) -> list[str]:
    problems = []
    for module in modules.values():
        if module.is_test or not within(module.name, PGP) or module.name == PGP:
            continue
        own = tier_of(module.name)
        if own is None:
            problems.append(f"{module.name} ({module.path}) is in no tier of TIERS: "
                            "decide where it belongs")
            continue
        for imported in module.imports:
            if within(imported.target, TEST_SUPPORT):
                problems.append(f"{module.where(imported)}: only tests may import the test "
                                "support")
                continue
            theirs = tier_of(imported.target)
            if theirs is None or theirs[1] == own[1]:
                continue
            if theirs[0] < own[0]:
                problems.append(f"{module.where(imported)}: {own[1]} is below {theirs[1]}")
            elif theirs[0] == own[0]:
                problems.append(f"{module.where(imported)}: {own[1]} and {theirs[1]} are "
                                "independent components")
    return problems


def pure_libraries_import_no_mailman(modules: Mapping[str, Module]) -> list[str]:
    return [
        f"{module.where(imported)}: {module.name} must not depend on Mailman"
        for module in modules.values()
        if within_any(module.name, PURE) and not module.is_test
        for imported in module.imports
        if within_any(imported.target, MAILMAN)
    ]


def openpgp_imports_no_email(modules: Mapping[str, Module]) -> list[str]:
    return [
        f"{module.where(imported)}: openpgp/ works on bytes, not on email messages"
        for module in modules.values()
        if within_any(module.name, NO_EMAIL) and not module.is_test
        for imported in module.imports
        if within(imported.target, "email")
    ]


def mime_uses_only_the_public_openpgp(modules: Mapping[str, Module]) -> list[str]:
    return [
        f"{module.where(imported)}: mime/ may use only the package mailman_pgp.openpgp"
        for module in modules.values()
        if within(module.name, f"{PGP}.mime")
        for imported in module.imports
        if imported.target.startswith(f"{PGP}.openpgp.")
    ]


def only_openpgp_imports_pysequoia(modules: Mapping[str, Module]) -> list[str]:
    return [
        f"{module.where(imported)}: only mailman_pgp.openpgp speaks pysequoia"
        for module in modules.values()
        if not within(module.name, f"{PGP}.openpgp") and not module.is_test
        for imported in module.imports
        if within(imported.target, SEQUOIA)
    ]


def _never(importer: str, imported: tuple[str, ...], why: str) -> Rule:
    def rule(modules: Mapping[str, Module]) -> list[str]:
        return [
            f"{module.where(each)}: {why}"
            for module in modules.values()
            if within(module.name, importer)
            for each in module.imports
            if within_any(each.target, imported)
        ]

    return rule


RULES: dict[str, Rule] = {
    "pgp-imports-point-downward": downward_only,
    "pure-libraries-import-no-mailman": pure_libraries_import_no_mailman,
    "openpgp-imports-no-email": openpgp_imports_no_email,
    "mime-uses-only-the-public-openpgp": mime_uses_only_the_public_openpgp,
    "only-openpgp-imports-pysequoia": only_openpgp_imports_pysequoia,
    "webhooks-never-imports-pgp": _never(WEBHOOKS, (PGP,), "the plugins are independent"),
    "pgp-never-imports-webhooks": _never(PGP, (WEBHOOKS,), "the plugins are independent"),
    "kit-imports-neither-plugin": _never(
        KIT, (PGP, WEBHOOKS), "the kit serves both plugins and depends on neither"),
    "pgp-imports-no-django": _never(PGP, ("django",), "Django lives in the web app"),
    "webhooks-imports-no-django": _never(WEBHOOKS, ("django",), "Django lives in the web app"),
    "kit-imports-no-django": _never(KIT, ("django",), "Django lives in the web app"),
}


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load_modules(SRC)


def test_the_three_packages_are_read(modules: dict[str, Module]) -> None:
    tops = {name.split(".")[0] for name in modules}
    assert {PGP, WEBHOOKS, KIT} <= tops
    assert f"{PGP}.openpgp.keys" in modules


@pytest.mark.parametrize("rule", RULES)
def test_the_layering_holds(modules: dict[str, Module], rule: str) -> None:
    problems = RULES[rule](modules)
    assert not problems, "\n".join(problems)


# -- the rules catch what they are for --------------------------------------------------------


def fake(**sources: str) -> dict[str, Module]:
    """Modules made from source text; a name ending in __init__ is a package."""
    names = {name.replace("__", ".").removesuffix(".init") for name in sources}
    result = {}
    for key, source in sources.items():
        is_package = key.endswith("__init")
        name = key.replace("__", ".").removesuffix(".init")
        result[name] = Module(name, f"<{name}>", tuple(
            imports_of(name, is_package, source, names)))
    return result


@pytest.mark.parametrize(
    ("rule", "sources", "expected"),
    [
        ("pgp-imports-point-downward",
         {"mailman_pgp__openpgp__keys": "from mailman_pgp.model import PGPAddressKey"},
         "mailman_pgp.openpgp.keys (<mailman_pgp.openpgp.keys>:1) imports "
         "mailman_pgp.model: openpgp is below model"),
        ("pgp-imports-point-downward",
         {"mailman_pgp__mime__kinds": "from ..posting import check",
          "mailman_pgp__posting__check": ""},
         "mailman_pgp.mime.kinds (<mailman_pgp.mime.kinds>:1) imports "
         "mailman_pgp.posting.check: mime is below posting"),
        ("pgp-imports-point-downward",
         {"mailman_pgp__rules__a_rule": "def check():\n    import mailman_pgp.mta.fanout"},
         "mailman_pgp.rules.a_rule (<mailman_pgp.rules.a_rule>:2) imports "
         "mailman_pgp.mta.fanout: rules and mta are independent components"),
        ("pgp-imports-point-downward",
         {"mailman_pgp__posting__author": "from mailman_pgp.testing import client_mail"},
         "mailman_pgp.posting.author (<mailman_pgp.posting.author>:1) imports "
         "mailman_pgp.testing: only tests may import the test support"),
        ("pgp-imports-point-downward",
         {"mailman_pgp__newthing": ""},
         "mailman_pgp.newthing (<mailman_pgp.newthing>) is in no tier of TIERS: "
         "decide where it belongs"),
        ("pure-libraries-import-no-mailman",
         {"mailman_pgp__mime__entity": "import os\nfrom mailman.config import config"},
         "mailman_pgp.mime.entity (<mailman_pgp.mime.entity>:2) imports mailman.config: "
         "mailman_pgp.mime.entity must not depend on Mailman"),
        ("openpgp-imports-no-email",
         {"mailman_pgp__openpgp__messages": "from email.message import Message"},
         "mailman_pgp.openpgp.messages (<mailman_pgp.openpgp.messages>:1) imports "
         "email.message: openpgp/ works on bytes, not on email messages"),
        ("mime-uses-only-the-public-openpgp",
         {"mailman_pgp__mime__copies": "from mailman_pgp.openpgp.keys import Certificate"},
         "mailman_pgp.mime.copies (<mailman_pgp.mime.copies>:1) imports "
         "mailman_pgp.openpgp.keys: mime/ may use only the package mailman_pgp.openpgp"),
        ("only-openpgp-imports-pysequoia",
         {"mailman_pgp__model__address_key": "import pysequoia"},
         "mailman_pgp.model.address_key (<mailman_pgp.model.address_key>:1) imports "
         "pysequoia: only mailman_pgp.openpgp speaks pysequoia"),
        ("webhooks-never-imports-pgp",
         {"mailman_webhooks__tests__test_x": "from mailman_pgp.app.events import x"},
         "mailman_webhooks.tests.test_x (<mailman_webhooks.tests.test_x>:1) imports "
         "mailman_pgp.app.events: the plugins are independent"),
        ("kit-imports-neither-plugin",
         {"mailman_plugin_kit__rest": "from mailman_webhooks import errors"},
         "mailman_plugin_kit.rest (<mailman_plugin_kit.rest>:1) imports mailman_webhooks: "
         "the kit serves both plugins and depends on neither"),
        ("pgp-imports-no-django",
         {"mailman_pgp__rest__tests__test_x": "import django.conf"},
         "mailman_pgp.rest.tests.test_x (<mailman_pgp.rest.tests.test_x>:1) imports "
         "django.conf: Django lives in the web app"),
    ],
    ids=["upward", "upward-relative", "sibling-component-in-a-function", "test-support",
         "no-tier", "mime-imports-mailman", "openpgp-imports-email", "mime-openpgp-internals",
         "pysequoia-outside-openpgp", "webhooks-test-imports-pgp", "kit-imports-a-plugin",
         "django"],
)
def test_a_rule_names_the_module_and_the_import_that_break_it(
        rule: str, sources: dict[str, str], expected: str) -> None:
    assert RULES[rule](fake(**sources)) == [expected]


@pytest.mark.parametrize(
    ("rule", "sources"),
    [
        ("pgp-imports-point-downward",
         {"mailman_pgp__mta__deliver": "from mailman_pgp.mta import fanout\n"
                                       "from mailman_pgp.posting.check import PostCheck",
          "mailman_pgp__mta__fanout": "from mailman_pgp.mime import build_signed"}),
        ("pgp-imports-point-downward",
         {"mailman_pgp__openpgp__tests__test_x": "from mailman_pgp.testing import gnupg\n"
                                                 "from mailman_pgp.model import x"}),
        ("pure-libraries-import-no-mailman",
         {"mailman_pgp__mime__tests__test_x": "from mailman.config import config"}),
        ("mime-uses-only-the-public-openpgp",
         {"mailman_pgp__mime__copies": "from mailman_pgp.openpgp import encrypt"}),
    ],
    ids=["downward-and-within", "tests-are-exempt-from-the-order",
         "tests-of-pure-libraries-may-use-mailman", "public-openpgp"],
)
def test_what_the_layering_allows_passes(rule: str, sources: dict[str, str]) -> None:
    assert RULES[rule](fake(**sources)) == []
