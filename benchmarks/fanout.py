"""Fan-out of one signed 10 KB post to N recipients: our code path against raw pysequoia.

Ours: the post as MIME (parsed from bytes), signed once by the list key as
``multipart/signed``, then one PGP/MIME ``multipart/encrypted`` message per recipient,
serialized to the bytes SMTP would carry (`mailman_pgp.posting.fanout`). Raw: pysequoia
alone doing the same cryptographic work in the same run: one detached signature, then
N encryptions of the signed bytes, one recipient certificate each. Printed: milliseconds
per recipient for both and the ratio ours/raw, for a Cv25519 and an RSA-4096 list key.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from email import message_from_bytes
from email.policy import compat32

import pysequoia

from mailman_pgp.mime import envelope_headers
from mailman_pgp.openpgp import KeyAlgorithm, generate_key
from mailman_pgp.posting.fanout import fan_out, sign_content

SIZES = (10, 100, 1000)
ALGORITHMS = (KeyAlgorithm.CV25519, KeyAlgorithm.RSA4096)
POST_BYTES = 10 * 1024


def make_post() -> bytes:
    """A 10 KB text/plain post with the headers a list post carries."""
    rng = random.Random(3156)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(400)]
    lines: list[str] = []
    line: list[str] = []
    while sum(len(x) + 1 for x in lines) < POST_BYTES:
        line.append(rng.choice(words))
        if sum(len(w) + 1 for w in line) > 70:
            lines.append(" ".join(line))
            line = []
    body = "\n".join(lines) + "\n"
    return (
        "From: Anne Person <anne@example.com>\n"
        "To: crypto@example.com\n"
        "Subject: A benchmark post\n"
        "Message-ID: <bench@example.com>\n"
        "List-Id: <crypto.example.com>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 7bit\n\n" + body
    ).encode()


def ours(post: bytes, list_key, keys: dict) -> int:
    """Our path; returns the bytes produced, so nothing is optimized away."""
    message = message_from_bytes(post, policy=compat32)
    headers = envelope_headers(message)
    content = message_from_bytes(post, policy=compat32)
    for name in list(content.keys()):
        if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version"):
            del content[name]
    signed = sign_content(content, list_key)
    total = 0
    for copy in fan_out(signed, headers, keys):
        assert copy.data is not None, copy.problem
        total += len(copy.data)
    return total


def raw(post: bytes, signer, certs: list) -> int:
    """pysequoia alone: one detached signature, N encryptions of the signed bytes."""
    signature = pysequoia.sign(signer, post, mode=pysequoia.SignatureMode.DETACHED, armor=True)
    signed = post + signature
    total = 0
    for cert in certs:
        total += len(pysequoia.encrypt(signed, [cert], armor=True))
    return total


def best_of(repeats: int, function, *args) -> float:
    """The fastest of ``repeats`` runs, in seconds: the least disturbed by the machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def run(sizes=SIZES, repeats: int = 3, algorithms=ALGORITHMS) -> list[dict]:
    post = make_post()
    largest = max(sizes)
    print(f"generating {largest} Cv25519 recipient keys ...", file=sys.stderr, flush=True)
    recipients = [
        generate_key(f"Member {i} <member{i}@example.com>").certificate for i in range(largest)
    ]
    raw_certs = [pysequoia.Cert.from_bytes(c.armor.encode()) for c in recipients]
    results = []
    for algorithm in algorithms:
        print(f"generating the {algorithm.value} list key ...", file=sys.stderr, flush=True)
        list_key = generate_key("Crypto list <crypto@example.com>", algorithm)
        raw_signer = pysequoia.Tsk.from_bytes(list_key._secret()).signer()
        for n in sizes:
            keys = {f"member{i}@example.com": recipients[i] for i in range(n)}
            t_ours = best_of(repeats, ours, post, list_key, keys)
            t_raw = best_of(repeats, raw, post, raw_signer, raw_certs[:n])
            results.append(
                {
                    "list_key": algorithm.value,
                    "recipients": n,
                    "ours_ms": 1000 * t_ours / n,
                    "raw_ms": 1000 * t_raw / n,
                    "ratio": t_ours / t_raw,
                }
            )
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--list-keys", nargs="+", default=[a.value for a in ALGORITHMS],
        choices=[a.value for a in KeyAlgorithm],
    )
    args = parser.parse_args(argv)
    results = run(args.sizes, args.repeats, [KeyAlgorithm(a) for a in args.list_keys])
    print(f"fan-out of a signed 10 KB post, per recipient (best of {args.repeats} runs)")
    print(f"{'list key':<9} {'N':>5} {'ours ms':>9} {'raw ms':>8} {'ours/raw':>9}")
    for r in results:
        print(
            f"{r['list_key']:<9} {r['recipients']:>5} {r['ours_ms']:>9.3f} "
            f"{r['raw_ms']:>8.3f} {r['ratio']:>9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
