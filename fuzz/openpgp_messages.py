"""Fuzz the readers of what the world sends: ``decrypt``, ``verify_detached``,
``verify_cleartext`` (each runs the SOP command, and gpg when a signature is not good)
and ``cleartext_text`` (in-process).

The input picks the reader: a cleartext-signed message goes to ``verify_cleartext`` and
``cleartext_text``, a detached signature to ``verify_detached`` (over the signed part of
a corpus message), anything else to ``decrypt`` with the corpus key. Allowed: what their
docstrings name: `MalformedMessage`, `DecryptionError`, `PlaintextTooLarge`,
`CommandUnavailable` (with `CommandTimedOut`, for the short timeout given here). A
cleartext-signed text judged good is the text ``cleartext_text`` gives for it later.

Each input costs one or two runs of sqop and gpg (tens of milliseconds): give this
harness time, or fuzz the parsing parts (``openpgp_status``, ``mime_armor``).
"""

from __future__ import annotations

from fuzz import harness
from mailman_pgp.mime import MIMEError, encrypted_payload, find_inline, parse_entity, split_signed
from mailman_pgp.openpgp import (
    SOP,
    CommandUnavailable,
    DecryptionError,
    MalformedMessage,
    PlaintextTooLarge,
    cleartext_text,
    decrypt,
    load_certificate,
    load_secret_key,
    verify_cleartext,
    verify_detached,
)

KEY = load_secret_key((harness.MIME_KEYS / "alice_secret_TEST_ONLY.asc").read_bytes())
CERTS = [load_certificate((harness.MIME_KEYS / "alice_public.asc").read_bytes())]
SIGNED = split_signed(parse_entity(
    (harness.MESSAGES / "mime_signed_thunderbird_style.eml").read_bytes()))
COMMANDS = SOP(timeout=10.0)
MAX_PLAINTEXT = 1 << 20
CLEARTEXT_BEGIN = b"-----BEGIN PGP SIGNED MESSAGE-----"
SIGNATURE_BEGIN = b"-----BEGIN PGP SIGNATURE-----"


def check(data: bytes) -> None:
    try:
        if CLEARTEXT_BEGIN in data:
            _cleartext(data)
        elif SIGNATURE_BEGIN in data:
            verify_detached(SIGNED.signed_bytes, data, CERTS, sop=COMMANDS)
        else:
            decrypt(data, KEY, verify_with=CERTS, sop=COMMANDS, max_plaintext=MAX_PLAINTEXT)
    except (MalformedMessage, DecryptionError, PlaintextTooLarge, CommandUnavailable):
        pass


def _cleartext(data: bytes) -> None:
    try:
        text: bytes | None = cleartext_text(data)
    except MalformedMessage:
        text = None
    verified = verify_cleartext(data, CERTS, sop=COMMANDS)
    if verified.verification.is_good:
        assert text == verified.text, "the text judged good is not the text read later"


def seeds() -> harness.Seeds:
    """The armored messages and signatures of the MIME corpus, and the corpus findings."""
    found = {}
    readers = {"signature": lambda msg: split_signed(msg).signature,
               "inline": lambda msg: find_inline(msg).armor,
               "encrypted": encrypted_payload}
    for name, data in harness.messages().items():
        msg = parse_entity(data)
        for what, reader in readers.items():
            try:
                found[f"{name}.{what}.asc"] = reader(msg)
            except MIMEError:
                pass
    return {**found, **harness.findings()}


if __name__ == "__main__":
    harness.fuzz(check)
