# Test that the SOP command gets the list's key through a pipe and fails clearly when missing.

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mailman_pgp.openpgp import SOP, CommandUnavailable, SecretKey, decrypt, verify_detached
from mailman_pgp.openpgp.tests.key_files import cert

RECORDER = """#!/bin/sh
# Records how it was called, and what each @FD: argument refers to, then fails.
out={out}
for arg in "$@"; do
  case "$arg" in
    @FD:*) echo "$arg $(stat -L -c %F /dev/fd/${{arg#@FD:}})" >> "$out" ;;
    *) echo "$arg" >> "$out" ;;
  esac
done
env >> "$out.env"
exit 99
"""


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[SOP, Path]:
    script = tmp_path / "recording-sop"
    script.write_text(RECORDER.format(out=tmp_path / "calls"))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return SOP(command=str(script)), tmp_path / "calls"


def test_the_secret_key_reaches_the_command_through_a_pipe(
        recorder: tuple[SOP, Path], list_key: SecretKey, monkeypatch) -> None:
    sop, calls = recorder
    monkeypatch.setenv("RUST_BACKTRACE", "full")
    with pytest.raises(Exception):  # noqa: B017 - the recorder fails on purpose
        decrypt(b"message", list_key, verify_with=[cert("alice_cv25519")], sop=sop)
    lines = calls.read_text().splitlines()
    assert lines[0] == "decrypt"
    key_argument = lines[lines.index("--") + 1]
    assert key_argument.startswith("@FD:") and key_argument.endswith(" fifo")
    assert all(line.endswith(" fifo") for line in lines if line.startswith("@FD:"))
    environment = Path(f"{calls}.env").read_text()
    assert "RUST_BACKTRACE" not in environment and "HOME" not in environment


def test_a_missing_sop_command_is_named(list_key: SecretKey) -> None:
    sop = SOP(command="no-such-sqop")
    with pytest.raises(CommandUnavailable, match="'no-such-sqop' is not installed"):
        decrypt(b"message", list_key, sop=sop)
    with pytest.raises(CommandUnavailable, match="no-such-sqop"):
        verify_detached(b"data", b"signature", [cert("alice_cv25519")], sop=sop)


def test_a_missing_gpg_for_the_diagnosis_is_named(list_key: SecretKey) -> None:
    with pytest.raises(CommandUnavailable, match="no-such-gpg"):
        verify_detached(b"data", b"signature", [cert("alice_cv25519")],
                        sop=SOP(gpg="no-such-gpg"))
