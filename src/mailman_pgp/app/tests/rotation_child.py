"""A Mailman process for the rotation tests (not a test module), run as
``python -m mailman_pgp.app.tests.rotation_child MODE ...``:

``stop MODULE:FUNCTION WHEN CALL -- MAILMAN_ARGS...``
    Runs the ``mailman`` command with MAILMAN_ARGS, stopping at that point (see
    `Interruption`): it prints ``STOPPED`` and waits for a line on its standard input,
    so that the test kills it there, or lets it go on.
``open CONFIG POSTS``
    Starts Mailman with CONFIG, as any Mailman process starts, and for each list in the
    JSON file POSTS (list ID to an encrypted post, base64) prints, as one JSON line:
    whether a passphrase read at start opens its key, the post decrypted with the key the
    list manager opens, and a signature made with it.
"""

import base64
import json
import sys

from mailman_pgp.app.tests.list_keys import SIGNED, Interruption


def stop() -> None:
    print("STOPPED", flush=True)
    sys.stdin.readline()


def run_mailman(target: str, when: str, call: str, args: list[str]) -> None:
    Interruption("child", target, when, int(call)).install(stop)
    from mailman.bin.mailman import main

    main(args=args, prog_name="mailman")


def open_keys(cfg: str, posts_file: str) -> None:
    from mailman.config import config
    from mailman.core.initialize import initialize
    from zope.component import getUtility

    from mailman_pgp.app.tests.list_keys import opening_passphrase
    from mailman_pgp.config import pgp_config
    from mailman_pgp.interfaces.lists import IPGPListManager
    from mailman_pgp.openpgp import decrypt_content, sign_detached

    initialize(cfg)
    with open(posts_file) as fp:
        posts = json.load(fp)
    manager = getUtility(IPGPListManager)
    started_with = pgp_config().passphrases.all
    report = {}
    for list_id, post in posts.items():
        pgp_list = manager.get(list_id)
        stored = bytes(pgp_list.protected_secret_key)
        key = manager.secret_key(pgp_list)
        report[list_id] = {
            "opens_with_start_passphrases": opening_passphrase(stored, started_with)
            is not None,
            "plaintext": decrypt_content(base64.b64decode(post), key,
                                         sop=pgp_config().sop()).decode(),
            "signature": sign_detached(SIGNED, key).armor.decode(),
        }
    config.db.abort()
    print(json.dumps(report))


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "stop":
        target, when, call, separator, *args = rest
        assert separator == "--"
        run_mailman(target, when, call, args)
    elif mode == "open":
        open_keys(*rest)
    else:
        raise SystemExit(f"unknown mode {mode}")
