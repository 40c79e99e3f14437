"""Run the harnesses under atheris for a set time each and report what they found.

    python -m fuzz.run [--seconds N] [HARNESS ...]     (what ``make fuzz`` runs)

For each harness: its seeds are written to ``var/fuzz/<harness>/seeds``, libFuzzer grows
its corpus in ``var/fuzz/<harness>/corpus`` (kept between runs) and writes what crashed,
timed out or ran out of memory to ``var/fuzz/<harness>/artifacts``. A crash ends a
libFuzzer run, so the harness is started again for the time left, until the time is up
or the same crash comes back three times. Then every input of the corpus is timed
without instrumentation, to name the slowest. Exits 1 if any harness crashed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from fuzz.harness import ROOT

HARNESSES = [
    "mime_entity", "mime_pgpmime", "mime_inline", "mime_keys", "mime_armor",
    "openpgp_keys", "openpgp_update", "openpgp_messages", "openpgp_status",
]
WORK = ROOT / "var" / "fuzz"
# libFuzzer options: inputs up to 16 KiB (the corpus files are under 8 KiB), an input
# that takes more than 20 s is a crash (a timeout), one over 1 s is reported as slow.
OPTIONS = ["-max_len=16384", "-timeout=20", "-report_slow_units=1", "-rss_limit_mb=2048",
           "-print_final_stats=1"]
SAME_CRASH_LIMIT = 3
# With RUST_BACKTRACE set, every error pysequoia raises captures and formats a Rust
# backtrace: 7 ms a garbage key instead of 0.01 ms, 250 ms under atheris. Mailman's
# runners do not pass it on (they keep PYTHON*, LC_*, LANG and MAILMAN_* only), so the
# harnesses run without it, as the plugin does in production.
ENV = {name: value for name, value in os.environ.items()
       if name not in ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE")}
SLOWEST = 3


@dataclass
class Result:
    name: str
    executions: int = 0
    seconds: float = 0.0
    peak_rss_mb: int = 0
    # Signature of each unique crash -> the first input that caused it.
    crashes: dict[str, Path] = field(default_factory=dict)
    corpus: int = 0
    # (seconds, bytes, file name) of the slowest corpus inputs, slowest first.
    slowest: list[tuple[float, int, str]] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="fuzzing time per harness")
    parser.add_argument("--time-corpus", metavar="HARNESS", help=argparse.SUPPRESS)
    parser.add_argument("harnesses", nargs="*", default=HARNESSES, metavar="HARNESS")
    args = parser.parse_args(argv)
    if args.time_corpus:
        print(json.dumps(_time_corpus(args.time_corpus)))
        return 0
    unknown = set(args.harnesses) - set(HARNESSES)
    if unknown:
        parser.error(f"no such harness: {', '.join(sorted(unknown))}")
    if importlib.util.find_spec("atheris") is None:
        parser.error("atheris is not installed: .venv/bin/pip install atheris (make fuzz does)")
    results = []
    for name in args.harnesses:
        print(f"fuzz: {name} for {args.seconds} s ...", flush=True)
        results.append(fuzz_harness(name, args.seconds))
        _report(results[-1])
    print()
    print(f"{'harness':<18}{'executions':>11}{'exec/s':>8}{'crashes':>9}{'corpus':>8}"
          f"{'RSS MB':>8}  slowest input")
    for r in results:
        slowest = f"{r.slowest[0][0] * 1000:.1f} ms ({r.slowest[0][1]} B)" if r.slowest else "-"
        rate = r.executions / r.seconds if r.seconds else 0
        print(f"{r.name:<18}{r.executions:>11}{rate:>8.0f}{len(r.crashes):>9}{r.corpus:>8}"
              f"{r.peak_rss_mb:>8}  {slowest}")
    return 1 if any(r.crashes for r in results) else 0


def fuzz_harness(name: str, seconds: int) -> Result:
    module = importlib.import_module(f"fuzz.{name}")
    work = WORK / name
    seeds, corpus, artifacts = work / "seeds", work / "corpus", work / "artifacts"
    shutil.rmtree(seeds, ignore_errors=True)
    for directory in (seeds, corpus, artifacts):
        directory.mkdir(parents=True, exist_ok=True)
    for seed_name, data in module.seeds().items():
        (seeds / re.sub(r"[^\w.-]", "_", seed_name)).write_bytes(data)
    result = Result(name)
    seen: dict[str, int] = {}
    started = time.monotonic()
    while (left := int(seconds - (time.monotonic() - started))) >= 1:
        before = set(artifacts.iterdir())
        log = work / "last.log"
        with log.open("wb") as out:
            done = subprocess.run(
                [sys.executable, "-m", f"fuzz.{name}", f"-max_total_time={left}",
                 f"-artifact_prefix={artifacts}/", *OPTIONS, str(corpus), str(seeds)],
                cwd=ROOT, env=ENV, stdout=out, stderr=subprocess.STDOUT, check=False)
        text = log.read_text("utf-8", "replace")
        result.executions += _stat(text, "number_of_executed_units")
        result.peak_rss_mb = max(result.peak_rss_mb, _stat(text, "peak_rss_mb"))
        if done.returncode == 0:
            break
        found = sorted(p for p in set(artifacts.iterdir()) - before
                       if p.name.startswith(("crash-", "timeout-", "oom-")))
        signature = _signature(text, found)
        seen[signature] = seen.get(signature, 0) + 1
        if found:
            result.crashes.setdefault(signature, found[0])
        else:
            result.crashes.setdefault(signature, log)
            shutil.copy(log, work / f"failure-{len(result.crashes)}.log")
        if seen[signature] >= SAME_CRASH_LIMIT:
            break
        shutil.copy(log, work / f"crash-{len(seen)}.log")
    result.seconds = time.monotonic() - started
    result.corpus = len(list(corpus.iterdir()))
    timed = subprocess.run(
        [sys.executable, "-m", "fuzz.run", "--time-corpus", name], cwd=ROOT, env=ENV,
        capture_output=True, text=True, check=False, timeout=max(seconds, 300))
    if timed.returncode == 0:
        result.slowest = [(took, size, file) for took, size, file in json.loads(timed.stdout)]
    return result


def _stat(text: str, name: str) -> int:
    found = re.findall(rf"^stat::{name}:\s*(\d+)", text, re.MULTILINE)
    return int(found[-1]) if found else 0


def _signature(text: str, artifacts: list[Path]) -> str:
    """What tells one crash from another: the exception and where it was raised."""
    if "libFuzzer: timeout" in text:
        return "timeout"
    if "libFuzzer: out-of-memory" in text:
        return "out of memory"
    match = re.search(
        r"=== Uncaught Python exception: ===\n([^\n]*)\nTraceback[^\n]*\n((?:  [^\n]*\n)+)", text)
    if not match:
        return "libFuzzer stopped: " + (artifacts[0].name if artifacts else "see last.log")
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', match.group(2))
    ours = [f for f in frames if "mailman_pgp" in f[0]]
    where = [frames[-1]] + ([ours[-1]] if ours and ours[-1] != frames[-1] else [])
    exception = match.group(1).split(":")[0]
    return exception + " at " + " via ".join(
        f"{Path(path).name}:{line} {function}" for path, line, function in where)


def _time_corpus(name: str) -> list[tuple[float, int, str]]:
    """The slowest inputs of a harness's corpus, checked without instrumentation."""
    module = importlib.import_module(f"fuzz.{name}")
    timings = []
    for path in sorted((WORK / name / "corpus").iterdir()):
        data = path.read_bytes()
        started = time.perf_counter()
        try:
            module.check(data)
        except Exception:  # a crash the fuzzer reported already; time it all the same
            pass
        timings.append((time.perf_counter() - started, len(data), path.name))
    return sorted(timings, reverse=True)[:SLOWEST]


def _report(result: Result) -> None:
    rate = result.executions / result.seconds if result.seconds else 0
    print(f"fuzz: {result.name}: {result.executions} executions in {result.seconds:.0f} s"
          f" ({rate:.0f}/s), {len(result.crashes)} unique crash(es), corpus"
          f" {result.corpus} inputs, peak RSS {result.peak_rss_mb} MB")
    for signature, artifact in result.crashes.items():
        print(f"    crash: {signature}\n           input: {artifact.relative_to(ROOT)}")
    for seconds, size, name in result.slowest:
        print(f"    slow: {seconds * 1000:.1f} ms for {size} bytes ({name})")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
