"""A nose2 plugin that writes each test's outcome to a JSON file, for scripts/mailman_suite.py.

nose2's verbose output interleaves what the tests print with the results, so the
driver reads this file instead. Loaded with ``nose2 --plugin mailman_suite_outcomes``;
the file is named by the environment variable ``MAILMAN_SUITE_OUTCOMES``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from nose2.events import Plugin

# Worse outcomes win when a test reports more than one (a teardown error after a pass).
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


def test_name(test: Any) -> str:
    """A test's dotted id; a doctest's file path below ``src/`` (ids repeat base names)."""
    doctest = getattr(test, "_dt_test", None)
    if doctest is not None and doctest.filename:
        path = Path(doctest.filename)
        parts = path.parts
        return "/".join(parts[parts.index("mailman"):]) if "mailman" in parts else str(path)
    identify = getattr(test, "id", None)
    return identify() if callable(identify) else str(test)


class SuiteOutcomes(Plugin):  # type: ignore[misc]  # nose2 has no type information.
    """Record ``{test: {"outcome": ..., "detail": ...}}`` and write it when the run stops."""

    configSection = "mailman-suite-outcomes"
    alwaysOn = True

    def __init__(self) -> None:
        self.outcomes: dict[str, dict[str, str]] = {}

    def testOutcome(self, event: Any) -> None:  # noqa: N802  (nose2's hook name)
        outcome = event.outcome
        if outcome == "subtest":
            outcome = "failed" if event.exc_info else "passed"
        if outcome == "passed" and not event.expected:
            outcome = "failed"  # an unexpected success
        elif outcome == "failed" and event.expected:
            outcome = "passed"  # an expected failure
        detail = ""
        if event.exc_info:
            kind, value = event.exc_info[0], event.exc_info[1]
            text = str(value).strip().splitlines()
            detail = f"{kind.__name__}: {text[0] if text else ''}"[:300]
        name = test_name(event.test)
        previous = self.outcomes.get(name)
        if previous is None or _RANK.get(outcome, 3) > _RANK.get(previous["outcome"], 3):
            self.outcomes[name] = {"outcome": outcome, "detail": detail}

    def afterTestRun(self, event: Any) -> None:  # noqa: N802  (nose2's hook name)
        path = os.environ["MAILMAN_SUITE_OUTCOMES"]
        Path(path).write_text(json.dumps(self.outcomes, indent=1, sort_keys=True))
