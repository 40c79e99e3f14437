"""Scan what Mailman keeps on disk for the plaintext of encrypted posts, in every form it may take.

After posts carrying marker strings have gone through real runners, `scan` walks every
file under Mailman's ``var/`` (queues, archives, lists, messages, data with the database
file, logs, ...) and reports each marker found. A marker is searched as UTF-8 and in the
encodings mail and Mailman's storage put text in: quoted-printable, base64 (at each of
the three alignments), RFC 2047 encoded words, UTF-16 (SQLite may store text so) and
Python's escaped forms (pickles, logs). Files over ``max_file_size`` are read in chunks
that overlap, so nothing is missed at a boundary; base64 and quoted-printable are also
searched with their line breaks taken out.
"""

from __future__ import annotations

import base64
import quopri
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.header import Header
from pathlib import Path
from typing import Any

CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    """A marker found in a file, and in which form."""

    path: Path
    marker: str
    form: str

    def __str__(self) -> str:
        return f"{self.path}: {self.marker!r} ({self.form})"


def forms(marker: str) -> dict[str, bytes]:
    """The byte strings that betray ``marker`` in a file, by the name of their encoding."""
    raw = marker.encode("utf-8")
    found = {
        "utf-8": raw,
        "quoted-printable": quopri.encodestring(raw).rstrip(b"\n"),
        "utf-16-le": marker.encode("utf-16-le"),
        "utf-16-be": marker.encode("utf-16-be"),
        "python escape": marker.encode("unicode_escape"),
        "rfc 2047": Header(marker, "utf-8").encode().encode("ascii").split(b"?")[3],
    }
    # A marker inside base64 shows as one of three strings, by its offset modulo 3; the
    # characters touched by its neighbours are left out.
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw)
        start = (offset * 4 + 2) // 3 + 1 if offset else 0
        end = len(encoded) - 4
        found[f"base64+{offset}"] = encoded[start:end]
    return {name: value for name, value in found.items() if len(value) >= 8}


def scan_database(engine: Any, markers: Iterable[str]) -> list[Finding]:
    """Each table and column of the database behind ``engine`` holding one of ``markers``.

    For a server database (PostgreSQL), whose files are not under ``var/``: every row of
    every table is read, text and binary values (pickles included) searched in every form.
    """
    from sqlalchemy import MetaData, select

    wanted = [(marker, name, value) for marker in markers
              for name, value in forms(marker).items()]
    metadata = MetaData()
    metadata.reflect(engine)
    findings: set[Finding] = set()
    with engine.connect() as connection:
        for table in metadata.tables.values():
            for row in connection.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    data = _as_bytes(value)
                    for marker, name, form in wanted:
                        if data and form in data:
                            findings.add(Finding(Path(f"{table.name}.{column.name}"), marker,
                                                 name))
    return sorted(findings, key=str)


def _as_bytes(value: object) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogateescape")


def files_under(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, in a stable order."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def scan(root: Path, markers: Iterable[str], *, exclude: Iterable[Path] = ()) -> list[Finding]:
    """Each place under ``root`` where one of ``markers`` appears, in any of its `forms`."""
    wanted = [(marker, name, value) for marker in markers
              for name, value in forms(marker).items()]
    if not wanted:
        return []
    longest = max(len(value) for _, _, value in wanted)
    excluded = {path.resolve() for path in exclude}
    findings: list[Finding] = []
    for path in files_under(root):
        if path.resolve() in excluded:
            continue
        seen: set[tuple[str, str]] = set()
        for chunk in _chunks(path, longest):
            unwrapped = _unwrapped(chunk)
            for marker, name, value in wanted:
                if (marker, name) not in seen and (value in chunk or value in unwrapped):
                    seen.add((marker, name))
                    findings.append(Finding(path, marker, name))
    return findings


def _unwrapped(data: bytes) -> bytes:
    """``data`` without the line breaks base64 and quoted-printable wrap long lines with."""
    return data.replace(b"=\r\n", b"").replace(b"=\n", b"").replace(b"\r", b"").replace(
        b"\n", b"")


def _chunks(path: Path, overlap: int) -> Iterator[bytes]:
    tail = b""
    with path.open("rb") as fp:
        while block := fp.read(CHUNK):
            yield tail + block
            tail = block[-overlap:]
