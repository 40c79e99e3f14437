"""Keys built to be slow: what the list spends on one, against raw Sequoia reading it.

Raw: pysequoia parses the key and reads its user IDs and expiry, as any reader of the
key must before judging it; its cost grows with the square of the number of user IDs.
Ours: `parse_certificate` with the default `KeyLimits`, which measures the key first and
refuses one over the limits (100 user IDs, 1 MB) before Sequoia judges it. Printed per
number of user IDs: the key's size, milliseconds for both, the ratio ours/raw, and what
the list answered.
"""

from __future__ import annotations

import argparse
import sys
import time

import pysequoia

from mailman_pgp.openpgp import KeyParseError, parse_certificate
from mailman_pgp.testing.hostile_keys import key_with_user_ids

SIZES = (100, 1000, 2000, 5000)


def raw(armor: str) -> int:
    cert = pysequoia.Cert.from_bytes(armor.encode())
    _ = cert.expiration
    return len(cert.user_ids)


def ours(armor: str) -> str:
    try:
        return f"accepted, {len(parse_certificate(armor).user_ids)} user IDs"
    except KeyParseError as error:
        return f"refused: {str(error).split(';')[0]}"


def timed(function, armor: str) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(armor)
    return (time.perf_counter() - started) * 1000, result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="numbers of user IDs (default: %(default)s)")
    args = parser.parse_args(argv)
    print(f"{'user IDs':>8} {'KB':>6} {'ours ms':>9} {'raw ms':>9} {'ratio':>9}  answer")
    for count in args.sizes:
        armor = key_with_user_ids("mallory@example.com", count).armor
        ours_ms, answer = timed(ours, armor)
        raw_ms, _ = timed(raw, armor)
        print(f"{count:>8} {len(armor) // 1024:>6} {ours_ms:>9.1f} {raw_ms:>9.1f}"
              f" {ours_ms / raw_ms:>9.3g}  {answer}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
