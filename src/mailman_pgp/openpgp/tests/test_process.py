# Test that child commands get inputs and outputs as pipes, a bare environment, a timeout and
# a limit on what they may write.

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from mailman_pgp.openpgp import CommandTimedOut, CommandUnavailable, process
from mailman_pgp.openpgp.process import (
    OutputTooLarge,
    PipeIn,
    PipeOut,
    minimal_env,
    resolve,
    run,
)


def test_large_inputs_and_outputs_pass_through_pipes() -> None:
    # More than a pipe's buffer each way, so writers and readers must run concurrently.
    big = os.urandom(300_000)
    done = run(["sh", "-c", 'cat "$1" > "$3"; cat "$2" -', "sh", PipeIn(big, "/dev/fd/{}"),
                PipeIn(b"tail", "/dev/fd/{}"), PipeOut("/dev/fd/{}")],
               stdin=big, timeout=10, env=minimal_env())
    assert done.returncode == 0
    assert done.stdout == b"tail" + big
    assert done.outputs == (big,)


def test_inputs_are_pipes_not_files() -> None:
    done = run(["sh", "-c", 'stat -L -c %F "$1"', "sh", PipeIn(b"secret", "/dev/fd/{}")],
               stdin=b"", timeout=10, env=minimal_env())
    assert done.stdout.strip() == b"fifo"


def test_the_child_gets_only_the_minimal_environment(monkeypatch) -> None:
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    monkeypatch.setenv("GNUPGHOME", "/nonexistent")
    done = run(["env"], stdin=b"", timeout=10, env=minimal_env(EXTRA="yes"))
    names = {line.split(b"=", 1)[0] for line in done.stdout.splitlines()}
    assert names == {b"PATH", b"LC_ALL", b"EXTRA"}


def test_a_missing_command_names_itself() -> None:
    with pytest.raises(CommandUnavailable, match="no-such-sop-command"):
        resolve("no-such-sop-command")


def test_a_command_that_hangs_is_killed_after_the_timeout(tmp_path: Path) -> None:
    script = tmp_path / "hang"
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(CommandUnavailable, match="did not finish within 0.5 seconds"):
        run([str(script), PipeIn(b"key")], stdin=b"", timeout=0.5, env=minimal_env())


def test_output_past_the_limit_kills_the_child_and_raises() -> None:
    # `yes` writes forever: only the limit ends it, long before the timeout.
    started = time.monotonic()
    with pytest.raises(OutputTooLarge) as raised:
        run(["yes"], stdin=b"", timeout=30, env=minimal_env(), max_output=1_000_000)
    assert raised.value.limit == 1_000_000
    assert time.monotonic() - started < 10


def test_output_up_to_the_limit_is_returned_whole() -> None:
    data = os.urandom(200_000)
    done = run(["cat"], stdin=data, timeout=10, env=minimal_env(), max_output=len(data))
    assert done.stdout == data


def test_an_extra_output_is_limited_too(monkeypatch) -> None:
    monkeypatch.setattr(process, "EXTRA_OUTPUT_LIMIT", 1000)
    with pytest.raises(OutputTooLarge):
        run(["sh", "-c", 'head -c 5000 /dev/zero > "$1"', "sh", PipeOut("/dev/fd/{}")],
            stdin=b"", timeout=10, env=minimal_env())


def test_a_timeout_is_told_apart_from_a_missing_command(tmp_path: Path) -> None:
    with pytest.raises(CommandTimedOut):
        run(["sleep", "5"], stdin=b"", timeout=0.3, env=minimal_env())
