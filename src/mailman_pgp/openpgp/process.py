"""Run an OpenPGP command with secrets and results passed through pipes, never files.

Each input (a secret key, certificates, a signature) goes to the child through its own pipe,
named on the command line as ``/dev/fd/N``-style designators (``@FD:N`` for SOP, ``N`` for
gpg's ``--...-fd`` options); each extra output (verifications, a session key, gpg's status)
comes back the same way. The child gets an explicit minimal environment (Mailman's runners
have no HOME or GNUPGHOME, and RUST_BACKTRACE must not leak in) and a timeout. Its stderr is
dropped: gpg prints session keys there, and foreign text never reaches our messages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mailman_pgp.openpgp.errors import CommandTimedOut, CommandUnavailable

# What a command may write to each extra output (verifications, a session key, gpg's
# status lines): far more than any real message makes, far less than memory.
EXTRA_OUTPUT_LIMIT = 16 * 1024 * 1024


@dataclass(frozen=True)
class PipeIn:
    """Bytes the child reads from a pipe; ``template`` names the pipe's fd on the command."""

    data: bytes
    template: str = "@FD:{}"

    def __repr__(self) -> str:
        return f"PipeIn(<{len(self.data)} bytes>, {self.template!r})"


@dataclass(frozen=True)
class PipeOut:
    """A pipe the child writes to; what it wrote is returned in `Completed.outputs`."""

    template: str = "@FD:{}"


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: bytes
    outputs: tuple[bytes, ...]


def minimal_env(**extra: str) -> dict[str, str]:
    """The whole environment a child gets: a fixed PATH, the C locale, and ``extra``."""
    return {"PATH": os.defpath, "LC_ALL": "C", **extra}


def resolve(command: str) -> str:
    """The executable for ``command``, or `CommandUnavailable` naming the missing command."""
    found = shutil.which(command, path=os.environ.get("PATH") or os.defpath)
    if found is None:
        raise CommandUnavailable(
            f"The OpenPGP command {command!r} is not installed (not found on the PATH).")
    return found


class OutputTooLarge(Exception):
    """The child wrote more than the limit to its standard output; it was killed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes of output")
        self.limit = limit


def run(argv: Sequence[str | PipeIn | PipeOut], *, stdin: bytes, timeout: float,
        env: Mapping[str, str], max_output: int | None = None) -> Completed:
    """Run ``argv`` (its first item a command name) and collect stdout and the pipe outputs.

    With ``max_output``, the child is killed as soon as its standard output grows past
    that many bytes, and `OutputTooLarge` is raised: memory stays near the limit however
    much the child would write (a decompression bomb). Each extra output is held to
    `EXTRA_OUTPUT_LIMIT` the same way. `CommandUnavailable` when the command is missing,
    cannot start, or does not finish within ``timeout`` seconds (`CommandTimedOut`).
    """
    command = str(argv[0])
    args = [resolve(command)]
    child_fds: list[int] = []
    writers: list[tuple[int, bytes]] = []
    readers: list[tuple[int, int | None]] = []
    try:
        stdin_read, stdin_write = os.pipe()
        child_fds.append(stdin_read)
        writers.append((stdin_write, stdin))
        stdout_read, stdout_write = os.pipe()
        child_fds.append(stdout_write)
        readers.append((stdout_read, max_output))
        for item in argv[1:]:
            if isinstance(item, PipeIn):
                read_end, write_end = os.pipe()
                child_fds.append(read_end)
                writers.append((write_end, item.data))
                args.append(item.template.format(read_end))
            elif isinstance(item, PipeOut):
                read_end, write_end = os.pipe()
                child_fds.append(write_end)
                readers.append((read_end, EXTRA_OUTPUT_LIMIT))
                args.append(item.template.format(write_end))
            else:
                args.append(item)
        try:
            child = subprocess.Popen(
                args, stdin=stdin_read, stdout=stdout_write, stderr=subprocess.DEVNULL,
                pass_fds=child_fds, env=dict(env))
        except OSError as error:
            raise CommandUnavailable(f"The OpenPGP command {command!r} could not be started.") \
                from error
    except BaseException:
        for fd in [*child_fds, *(fd for fd, _ in writers), *(fd for fd, _ in readers)]:
            os.close(fd)
        raise
    for fd in child_fds:
        os.close(fd)
    deadline = time.monotonic() + timeout
    overflow: list[int] = []

    def too_much(limit: int) -> None:
        overflow.append(limit)
        child.kill()

    outputs: list[list[bytes]] = [[] for _ in readers]
    threads = [threading.Thread(target=_write, args=(fd, data), daemon=True)
               for fd, data in writers]
    threads += [threading.Thread(target=_read, args=(fd, chunks, limit, too_much), daemon=True)
                for (fd, limit), chunks in zip(readers, outputs)]
    for thread in threads:
        thread.start()
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        child.kill()
        child.wait()
        raise CommandTimedOut(
            f"The OpenPGP command {command!r} did not finish within {timeout:g} seconds.") \
            from error
    finally:
        # A grandchild holding a pipe open must not hang us: the threads are daemons.
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.1))
    if overflow:
        raise OutputTooLarge(overflow[0])
    stdout, *extra = (b"".join(chunks) for chunks in outputs)
    return Completed(child.returncode, stdout, tuple(extra))


def _write(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:
        # The child exited or does not read this input; its exit status tells.
        pass
    finally:
        os.close(fd)


def _read(fd: int, chunks: list[bytes], limit: int | None,
          too_much: Callable[[int], None]) -> None:
    total = 0
    try:
        while chunk := os.read(fd, 65536):
            total += len(chunk)
            if limit is not None and total > limit:
                too_much(limit)
                return
            chunks.append(chunk)
    finally:
        os.close(fd)
