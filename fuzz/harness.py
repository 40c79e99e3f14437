"""What the harnesses share: where their seeds come from, and the atheris entry point."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from mailman_pgp.mime import NestedTooDeeply, TooManyParts, UnreadableEntity

# What ``parse_entity`` may raise for any input: the harnesses that parse first stop there.
ENTITY_REFUSED = (NestedTooDeeply, TooManyParts, UnreadableEntity)

ROOT = Path(__file__).resolve().parent.parent
MIME_DATA = ROOT / "src" / "mailman_pgp" / "mime" / "tests" / "data"
MESSAGES = MIME_DATA / "messages"
MIME_KEYS = MIME_DATA / "keys"
OPENPGP_KEYS = ROOT / "src" / "mailman_pgp" / "openpgp" / "tests" / "data" / "keys"
# What the fuzzers found, kept as regression inputs; every harness starts from them too.
FINDINGS = ROOT / "tests" / "data" / "fuzz"
# Seeds that are not in a test corpus: samples of what gpg and sqop print.
OWN_SEEDS = Path(__file__).resolve().parent / "seeds"

Seeds = dict[str, bytes]


def read(paths: Iterable[Path]) -> Seeds:
    """``{file name: contents}`` of ``paths``, sorted by name."""
    return {path.name: path.read_bytes() for path in sorted(paths) if path.is_file()}


def messages() -> Seeds:
    return read(MESSAGES.glob("*.eml"))


def keys() -> Seeds:
    """Every key file of the test corpora: public and secret keys, revocations."""
    return read([*MIME_KEYS.glob("*.asc"), *MIME_KEYS.glob("*.rev"),
                 *OPENPGP_KEYS.glob("*.asc")])


def findings() -> Seeds:
    return read(FINDINGS.glob("*"))


def fuzz(check: Callable[[bytes], None]) -> None:
    """Run ``check`` under atheris with libFuzzer's options and corpus directories from argv.

    Everything imported so far (our packages, the email package, re) is instrumented
    for coverage; the harness imports what it reads before calling this.
    """
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()
