"""Fuzz the ASCII armor reader on raw bytes: ``armor.find_blocks`` and ``armor.check_block``.

Allowed: `MalformedPGPMIME`. The blocks found are in order, do not overlap, and are the
bytes they say they are.
"""

from __future__ import annotations

from fuzz import harness
from mailman_pgp.mime import MalformedPGPMIME, armor


def check(data: bytes) -> None:
    try:
        blocks = armor.find_blocks(data)
    except MalformedPGPMIME:
        return
    end = 0
    for block in blocks:
        assert end <= block.start < block.end <= len(data)
        assert data[block.start:block.end] == block.data
        end = block.end
        try:
            armor.check_block(block)
        except MalformedPGPMIME:
            pass


def seeds() -> harness.Seeds:
    return {**harness.keys(), **harness.messages(), **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
