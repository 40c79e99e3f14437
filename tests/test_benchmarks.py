# Test that the benchmarks still run end to end on small sizes and print what the README
# quotes; their figures are for people to read, so no speed is asserted here.

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(*args: str) -> str:
    # A benchmark sets up its own Mailman; none of this suite's test configuration.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILMAN_")}
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_fanout_prints_a_row_per_size_with_both_timings_and_their_ratio():
    out = run_benchmark(
        "benchmarks.fanout", "--sizes", "2", "5", "--repeats", "1", "--list-keys", "cv25519"
    )
    rows = re.findall(r"^cv25519\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", out, re.M)
    assert [int(n) for n, *_ in rows] == [2, 5]
    for _, ours, raw, ratio in rows:
        assert float(ours) > 0 and float(raw) > 0
        assert abs(float(ratio) - float(ours) / float(raw)) < 0.02 * float(ratio) + 0.01


def test_webhooks_delivers_every_event_and_compares_capture_with_a_plain_mailman():
    out = run_benchmark(
        "benchmarks.webhooks", "--events", "20", "--members", "10", "--chunk", "5",
        "--rows", "1500",
    )
    delivered = re.search(r"status counts \{'pending': 0, 'delivered': (\d+), 'failed': 0\}", out)
    assert delivered is not None, out
    # Every event to each of the three endpoints, plus the set-up events.
    assert int(delivered.group(1)) >= 20 * 3
    assert re.search(r"ratio runner/plain \d+\.\d\d", out), out
    # Beside a receiver answering after 2 s, the two others deliver everything.
    slow = re.search(r"the other 2 delivered (\d+) in .* ratio (\d+\.\d\d) \(target", out, re.S)
    assert slow is not None and int(slow.group(1)) >= 20 * 2, out
    assert re.search(r"claim of a live endpoint: [\d.]+ ms .* ratio \d+\.\d\d", out), out
    sweep = re.search(r"sweep .* in (\d+) batches.* longest transaction (\d+) ms", out)
    assert sweep is not None and int(sweep.group(1)) >= 4, out
    left = re.search(r"left \{'pending': (\d+), 'failed': (\d+), 'delivered': 0, "
                     r"'events': (\d+), 'attempts': 0\}", out)
    # Of 3,001 deliveries, the removed endpoint's 1,500 were failed (kept for the retention
    # period) and the 1,500 finished long ago removed with their events and attempts; the
    # live endpoint's one stays claimed by the claims the benchmark timed.
    assert left is not None and left.groups() == ("1", "1500", "1501"), out
    assert re.search(r"ratio with/without: \d+\.\d{3}", out), out
    assert re.search(r"median over the \d+ rounds of the CPU ratio with/without: \d+\.\d{3}",
                     out), out


def test_hostile_keys_prints_both_timings_their_ratio_and_the_answer():
    out = run_benchmark("benchmarks.hostile_keys", "--sizes", "100", "300")
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.e+-]+)  (.+)$", out, re.M)
    assert [int(count) for count, *_ in rows] == [100, 300]
    for _, _, ours, raw, ratio, _ in rows:
        assert float(ours) > 0 and float(raw) > 0
        assert abs(float(ratio) - float(ours) / float(raw)) < 0.02 * float(ratio) + 0.01
    assert [answer for *_, answer in rows] == [
        "accepted, 100 user IDs", "refused: The key holds 300 user IDs"]


def test_list_delivery_reaches_every_member_of_the_three_lists_and_splits_the_pgp_post():
    # Real Mailman (master and runners), so it takes a while: 6 members, the PGP post split
    # in 3 chunks over 2 out runners.
    out = run_benchmark(
        "benchmarks.list_delivery", "--sizes", "3", "6", "--split-above", "4",
        "--chunk-size", "2",
    )
    rows = re.findall(r"^(bulk|personal|pgp)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+(\d+)\s+"
                      r"(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+\s+([\d. +]+?)\s+([\d.]+)$", out, re.M)
    found = {(kind, int(n)): (float(seconds), float(first), int(delivered), int(encrypted),
                              int(clear), int(chunks), float(ratio))
             for kind, n, seconds, first, delivered, encrypted, clear, chunks, _, ratio in rows}
    assert sorted(found) == [(kind, n) for kind in ("bulk", "personal", "pgp") for n in (3, 6)]
    for (kind, n), (seconds, first, delivered, encrypted, clear, chunks, ratio) in found.items():
        assert delivered == n
        assert 0 < first <= seconds
        # The plain lists' copies carry the post in the clear, the PGP list's never.
        assert (encrypted, clear) == ((n, 0) if kind == "pgp" else (0, n))
        assert chunks == (3 if (kind, n) == ("pgp", 6) else 0)
        personal = found["personal", n][0]
        # Both times are printed to the hundredth of a second, the ratio from the times
        # before rounding: a tenth of a second rounded is a 5% error already.
        rounding = ratio * (0.005 / seconds + 0.005 / personal)
        assert abs(ratio - seconds / personal) < rounding + 0.01
    assert re.search(r"^pgp: N=6 took [\d.]+x N=3$", out, re.M), out
    # The CPU of every runner process the post went through, and of the sink.
    cpu = dict(re.findall(r"^  (\w+ N=\d+): (.*)$", out, re.M))
    assert sorted(cpu) == sorted(f"{kind} N={n}" for kind, n in found)
    for line in cpu.values():
        names = {name for name, _ in re.findall(r"([\w:]+) ([\d.]+)(?:, |$)", line)}
        assert {"lmtp:0:1", "in:0:1", "pipeline:0:1", "out:0:2", "out:1:2", "sink"} <= names


def test_list_delivery_posts_to_one_kind_of_list_only_and_signs_each_post_anew():
    # Real Mailman again (about 20 s): the PGP list alone, two posts by the same author
    # within seconds, which the list takes only if each carries a signature of its own.
    out = run_benchmark("benchmarks.list_delivery", "--sizes", "3", "--kinds", "pgp",
                        "--repeats", "2")
    rows = re.findall(r"^(bulk|personal|pgp)\s+(\d+)\s+.*\s(\S+)$", out, re.M)
    # No personalized list to compare with.
    assert rows == [("pgp", "3", "-")]
    assert "best of 2" in out


def test_webhooks_admin_times_health_and_the_first_page_over_a_filled_outbox():
    out = run_benchmark("benchmarks.webhooks_admin", "--rows", "3000")
    assert "sqlite: 3,000 events, deliveries and attempts written" in out
    assert len(re.findall(r"^  endpoint health, 3 endpoints: [\d.]+ ms", out, re.M)) == 2
    assert re.search(r"^  GET deliveries\?endpoint=crm: [\d.]+ ms", out, re.M)
    assert "with the 1,000 deliveries of one endpoint pending" in out
