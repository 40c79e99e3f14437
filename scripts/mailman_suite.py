#!/usr/bin/env python3
"""`make test-mailman`: Mailman Core's own test suite without and with both plugins, compared.

Mailman's suite comes from the sdist of the installed Mailman version (the wheel has no
``unittest.cfg``), downloaded once with pip and kept in ``var/mailman-suite/``. It runs
twice, as Mailman's ``tox.ini`` runs it (``python -m nose2`` with ``flufl.testing``): once
as it is, once with ``[plugin.pgp]`` and ``[plugin.webhooks]`` enabled through
``MAILMAN_EXTRA_TESTING_CFG``, the webhooks plugin with an endpoint that records every
event. A test that passes without the plugins must pass with them, unless it is in the
table of docs/webhooks.md between the ``mailman-suite`` markers, which says why it differs;
an entry of that table that no longer differs is an error too, so the table stays exact.

Mailman's tests use fixed ports (9001, 9024, 9025) and mostly wait (for runners, the
REST server, SMTP), so each run is split by Mailman's sub-packages into parts that run side
by side, each in a network namespace of its own (``unshare -n``, as root) where those
ports are free. Where namespaces are not available, each run is one process, one after
the other. Usage: ``.venv/bin/python scripts/mailman_suite.py [--jobs N] [-P PATTERN ...]``
(nose2's ``-P``, for a part of the suite).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "mailman-suite"
DOC = ROOT / "docs" / "webhooks.md"
RUN_TIMEOUT = 3600  # seconds, per part; a whole run takes minutes
LOOPBACK_UP = ["ip", "link", "set", "lo", "up"]

# The webhooks endpoint records every event (secrets included), so capture runs for each
# event Mailman's tests fire; nothing listens on port 9, the runner's attempts fail.
WEBHOOKS_CFG = """\
[endpoint.everything]
url: http://127.0.0.1:9/mailman-suite
events: .*
include_secrets: yes
secret: whsec_bWFpbG1hbi1zdWl0ZS1ldmVyeS1ldmVudC1zZWNyZXQ=
"""

PLUGINS_CFG = """\
[plugin.pgp]
class: mailman_pgp.plugin.PGPPlugin
enabled: yes
component_package: mailman_pgp

[plugin.webhooks]
class: mailman_webhooks.plugin.WebhooksPlugin
enabled: yes
component_package: mailman_webhooks
configuration: {webhooks_cfg}
"""

TABLE_START = "<!-- mailman-suite-start -->"
TABLE_END = "<!-- mailman-suite-end -->"
TABLE_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|(.+)\|\s*$")


def sdist_tree(mailman_version: str) -> Path:
    """The unpacked sdist of this Mailman version, downloaded and unpacked on first use."""
    tree = CACHE / f"mailman-{mailman_version}"
    if (tree / "unittest.cfg").exists():
        return tree
    archive = CACHE / f"mailman-{mailman_version}.tar.gz"
    if not archive.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:",
             "--no-deps", f"mailman=={mailman_version}", "-d", str(CACHE)],
            check=True, timeout=600,
        )
    with tarfile.open(archive) as sdist:
        sdist.extractall(CACHE, filter="data")
    return tree


def expected_differences(text: str) -> dict[str, str]:
    """The documented table: test name -> why it differs with the plugins enabled."""
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    table = {}
    for line in text[start:end].splitlines():
        row = TABLE_ROW.match(line)
        if row:
            table[row.group(1)] = row.group(2).strip()
    return table


def namespaces_work() -> bool:
    """Whether this process may run commands in a network namespace of their own."""
    try:
        done = subprocess.run(["unshare", "-n", *LOOPBACK_UP], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def parts(tree: Path) -> list[str]:
    """Mailman's sub-packages that hold tests or doctests, the biggest first."""
    package = tree / "src" / "mailman"
    sizes = {
        directory.name: sum(1 for _ in directory.rglob("test*.py"))
        + sum(1 for _ in directory.rglob("*.rst"))
        for directory in package.iterdir()
        if directory.is_dir() and directory.name != "__pycache__"
    }
    return sorted((name for name, size in sizes.items() if size), key=lambda n: -sizes[n])


@dataclass(frozen=True)
class Part:
    """One process of a run: its label, and the sub-package it runs (None: all of them)."""

    label: str
    package: str | None

    @property
    def name(self) -> str:
        return self.label if self.package is None else f"{self.label}-{self.package}"

    def patterns(self) -> list[str]:
        """nose2 ``-P`` patterns that select this part's tests."""
        # flufl.testing matches -P against "mailman.pkg.tests.test_x.Class" for unit
        # tests and against "pkg/docs/x.rst" for doctests.
        if self.package is None:
            return []
        return [f"^mailman\\.{self.package}\\.", f"^{self.package}/"]


def run_part(
    tree: Path, part: Part, extra_cfg: Path | None, patterns: list[str], isolated: bool
) -> dict[str, dict[str, str]]:
    """One nose2 process; each test's outcome. Its output goes to logs/<part>.log."""
    logs = CACHE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    outcomes = logs / f"{part.name}.json"
    outcomes.unlink(missing_ok=True)
    log = logs / f"{part.name}.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILMAN_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tree / "src"), str(Path(__file__).parent)])
    env["MAILMAN_SUITE_OUTCOMES"] = str(outcomes)
    if extra_cfg is not None:
        env["MAILMAN_EXTRA_TESTING_CFG"] = str(extra_cfg)
    command = [sys.executable, "-m", "nose2", "-v", "--plugin", "mailman_suite_outcomes"]
    for pattern in part.patterns() + patterns:
        command += ["-P", pattern]
    if isolated:
        up = " ".join(LOOPBACK_UP)
        command = ["unshare", "-n", "sh", "-c", f'{up} && exec "$@"', "sh", *command]
    with log.open("w") as output:
        subprocess.run(command, cwd=tree, env=env, stdout=output, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT, check=False)
    if not outcomes.exists():
        raise SystemExit(f"mailman-suite: {part.name} stopped before its end; see {log}")
    result: dict[str, dict[str, str]] = json.loads(outcomes.read_text())
    return result


def summary(label: str, result: dict[str, dict[str, str]]) -> str:
    """How many tests ran, by outcome."""
    counts: dict[str, int] = {}
    for entry in result.values():
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    return f"{label}: {len(result)} tests, {dict(sorted(counts.items()))}"


def _good(entry: dict[str, str] | None) -> bool:
    return entry is not None and entry["outcome"] in ("passed", "skipped")


def differences(
    plain: dict[str, dict[str, str]], plugins: dict[str, dict[str, str]]
) -> dict[str, str]:
    """Tests that pass without the plugins and fail (or are missing) with them: the detail."""
    return {
        name: (plugins.get(name) or {"detail": "did not run"})["detail"]
        for name in sorted(plain)
        if _good(plain[name]) and not _good(plugins.get(name))
    }


def selector(name: str) -> str:
    """The nose2 ``-P`` pattern that runs the test of this outcome name again.

    flufl.testing matches ``-P`` against a unit test's class (``mailman.pkg.tests.test_x.
    Class``) and a doctest's path below the package (``pkg/docs/x.rst``).
    """
    if name.endswith(".rst"):
        return "^" + re.escape(name.removeprefix("mailman/")) + "$"
    return "^" + re.escape(name.rsplit(".", 1)[0]) + "$"


def retry_alone(
    tree: Path, extra_cfg: Path, names: Iterable[str], isolated: bool
) -> dict[str, dict[str, str]]:
    """Run each test that failed with the plugins again, alone, with them; its outcome.

    Some of Mailman's tests time processes and signals (test_master's SIGTERM test): on a
    loaded machine they fail now and then, with or without the plugins.
    """
    outcomes: dict[str, dict[str, str]] = {}
    for index, name in enumerate(sorted(names)):
        result = run_part(tree, Part(f"retry-{index}", None), extra_cfg, [selector(name)],
                          isolated)
        outcomes[name] = result.get(name) or {"outcome": "missing", "detail": "did not run"}
    return outcomes


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=6,
                        help="parts run at once, in network namespaces (default 6)")
    parser.add_argument("-P", "--pattern", action="append", default=[],
                        help="run only the tests matching this (nose2's -P)")
    args = parser.parse_args(argv)
    tree = sdist_tree(version("mailman"))
    expected = expected_differences(DOC.read_text())
    isolated = args.jobs > 1 and namespaces_work()
    # -P patterns add to a part's (nose2 runs what matches any): with them, no parts.
    packages: list[str | None] = [None]
    if isolated and not args.pattern:
        packages = list(parts(tree))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mailman-suite-") as work:
        webhooks_cfg = Path(work) / "webhooks.cfg"
        webhooks_cfg.write_text(WEBHOOKS_CFG)
        extra_cfg = Path(work) / "plugins.cfg"
        extra_cfg.write_text(PLUGINS_CFG.format(webhooks_cfg=webhooks_cfg))
        configs: dict[str, Path | None] = {"plain": None, "plugins": extra_cfg}
        jobs = [Part(label, package) for package in packages for label in configs]
        with ThreadPoolExecutor(max_workers=args.jobs if isolated else 1) as pool:
            results = pool.map(
                lambda part: run_part(tree, part, configs[part.label], args.pattern, isolated),
                jobs,
            )
            merged: dict[str, dict[str, dict[str, str]]] = {label: {} for label in configs}
            for part, result in zip(jobs, results):
                merged[part.label].update(result)
        plain, plugins = merged["plain"], merged["plugins"]
        retried = retry_alone(tree, extra_cfg, differences(plain, plugins).keys() - expected,
                              isolated)
        plugins.update(retried)
    how = f"{len(packages)} parts each, {args.jobs} at a time" if isolated else "one by one"
    print(f"Mailman's suite without and with the plugins ({how}) in "
          f"{time.monotonic() - started:.0f} s; logs in {(CACHE / 'logs').relative_to(ROOT)}")
    print(summary("without the plugins", plain))
    print(summary("with the plugins", plugins))
    if not plain:
        print("mailman-suite: no test ran")
        return 1
    failing_alone = sorted(name for name, entry in plain.items() if not _good(entry))
    if failing_alone:
        print(f"fail without the plugins too (not compared): {', '.join(failing_alone)}")
    for name in sorted(retried):
        if _good(retried[name]):
            print(f"failed with the plugins, passed run again alone: {name} (a timing test"
                  " under load; see its log)")
    found = differences(plain, plugins)
    status = 0
    for name, detail in found.items():
        if name in expected:
            print(f"differs as documented: {name}: {expected[name]}")
        else:
            print(f"REGRESSION with the plugins: {name}: {detail}")
            status = 1
    # Only entries whose test ran (a -P run covers part of the suite).
    stale = sorted(name for name in expected if _good(plain.get(name)) and name not in found)
    for name in stale:
        print(f"STALE entry in {DOC.relative_to(ROOT)} (passes with the plugins now): {name}")
        status = 1
    print("mailman-suite: " + ("passed" if status == 0 else "FAILED"))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
