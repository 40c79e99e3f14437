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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mailman_pgp.openpgp.errors import SOPUnavailable


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
    """The executable for ``command``, or `SOPUnavailable` naming the missing command."""
    found = shutil.which(command, path=os.environ.get("PATH") or os.defpath)
    if found is None:
        raise SOPUnavailable(
            f"The OpenPGP command {command!r} is not installed (not found on the PATH).")
    return found


def run(argv: Sequence[str | PipeIn | PipeOut], *, stdin: bytes, timeout: float,
        env: Mapping[str, str]) -> Completed:
    """Run ``argv`` (its first item a command name) and collect stdout and the pipe outputs."""
    command = str(argv[0])
    args = [resolve(command)]
    child_fds: list[int] = []
    writers: list[tuple[int, bytes]] = []
    readers: list[int] = []
    try:
        for item in argv[1:]:
            if isinstance(item, PipeIn):
                read_end, write_end = os.pipe()
                child_fds.append(read_end)
                writers.append((write_end, item.data))
                args.append(item.template.format(read_end))
            elif isinstance(item, PipeOut):
                read_end, write_end = os.pipe()
                child_fds.append(write_end)
                readers.append(read_end)
                args.append(item.template.format(write_end))
            else:
                args.append(item)
        try:
            child = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, pass_fds=child_fds, env=dict(env))
        except OSError as error:
            raise SOPUnavailable(f"The OpenPGP command {command!r} could not be started.") \
                from error
    except BaseException:
        for fd in [*child_fds, *(fd for fd, _ in writers), *readers]:
            os.close(fd)
        raise
    for fd in child_fds:
        os.close(fd)
    outputs: list[list[bytes]] = [[] for _ in readers]
    threads = [threading.Thread(target=_write, args=(fd, data), daemon=True)
               for fd, data in writers]
    threads += [threading.Thread(target=_read, args=(fd, chunks), daemon=True)
                for fd, chunks in zip(readers, outputs)]
    for thread in threads:
        thread.start()
    try:
        stdout, _ = child.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        child.kill()
        child.communicate()
        raise SOPUnavailable(
            f"The OpenPGP command {command!r} did not finish within {timeout:g} seconds.") \
            from error
    finally:
        # A grandchild holding a pipe open must not hang us: the threads are daemons.
        for thread in threads:
            thread.join(timeout)
    return Completed(child.returncode, stdout, tuple(b"".join(c) for c in outputs))


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


def _read(fd: int, chunks: list[bytes]) -> None:
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
