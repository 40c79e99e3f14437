# Test the comparison `make test-mailman` makes between Mailman's own suite without and with
# the plugins (scripts/mailman_suite.py): the documented table is what it reads, a test that
# fails only with the plugins is a difference, and each part selects its own tests.
# The runs themselves are `make test-mailman`.

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _driver():
    spec = importlib.util.spec_from_file_location(
        "mailman_suite", ROOT / "scripts" / "mailman_suite.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mailman_suite", module)
    spec.loader.exec_module(module)
    return module


suite = _driver()


def test_documented_table_gives_each_test_a_reason():
    table = suite.expected_differences((ROOT / "docs" / "webhooks.md").read_text())
    assert "mailman/rules/docs/rules.rst" in table
    assert "mailman.rest.tests.test_systemconf.TestSystemConfiguration.test_all_sections" in table
    assert all(reason for reason in table.values())
    assert all(re.fullmatch(r"mailman[./][\w./]+", name) for name in table)


def test_only_tests_that_pass_without_the_plugins_and_not_with_them_differ():
    passed, skipped = {"outcome": "passed", "detail": ""}, {"outcome": "skipped", "detail": ""}
    failed = {"outcome": "failed", "detail": "AssertionError: x"}
    plain = {"a": passed, "b": passed, "c": failed, "d": skipped, "e": passed}
    plugins = {"a": passed, "b": failed, "c": failed, "d": skipped}
    assert suite.differences(plain, plugins) == {"b": "AssertionError: x", "e": "did not run"}


def test_a_part_selects_its_packages_tests_and_doctests_only():
    patterns = [re.compile(p) for p in suite.Part("plain", "rest").patterns()]

    def selected(name: str) -> bool:
        return any(pattern.search(name) for pattern in patterns)

    assert selected("mailman.rest.tests.test_users.TestLogin")
    assert selected("rest/docs/queues.rst")
    assert not selected("mailman.model.tests.test_rest.TestRest")
    assert not selected("mailman.restful.tests.test_x.TestX")
    assert suite.Part("plain", None).patterns() == []


def test_a_test_run_again_alone_is_selected_by_its_class_or_its_doctest_path():
    unit = "mailman.bin.tests.test_master.TestMaster.test_sigterm_handler"
    pattern = suite.selector(unit)
    assert re.search(pattern, "mailman.bin.tests.test_master.TestMaster")
    assert not re.search(pattern, "mailman.bin.tests.test_master.TestMasterLock")
    doctest = suite.selector("mailman/rules/docs/rules.rst")
    assert re.search(doctest, "rules/docs/rules.rst")
    assert not re.search(doctest, "rules/docs/rules.rst.bak")
