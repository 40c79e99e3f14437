# Test that a compressed message is read only up to the plaintext limit: a decompression bomb
# made by GnuPG stops the SOP command early, with memory near the limit, and says why.

from __future__ import annotations

import tracemalloc

import pytest

from mailman_pgp.openpgp import (
    PlaintextTooLarge,
    SecretKey,
    decrypt,
    decrypt_content,
    decrypt_own,
    encrypt_to_all,
)
from mailman_pgp.openpgp.tests.key_files import cert
from mailman_pgp.testing.gnupg import GnuPGClient

BOMB_SIZE = 256 * 1024 * 1024
LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def bomb(gnupg: GnuPGClient, list_key: SecretKey) -> bytes:
    """256 MiB of zeros, signed by alice, bzip2-compressed and encrypted by GnuPG: a few KB."""
    message = gnupg.run(
        "--armor", "--local-user", "alice@example.com", "--recipient", list_key.fingerprint,
        "--compress-algo", "bzip2", "--compress-level", "9", "--sign", "--encrypt",
        input=bytes(BOMB_SIZE)).output
    assert len(message) < 64 * 1024
    return message


@pytest.mark.parametrize("read", [
    pytest.param(lambda bomb, key: decrypt(bomb, key, verify_with=[cert("alice_cv25519")],
                                           max_plaintext=LIMIT), id="decrypt"),
    pytest.param(lambda bomb, key: decrypt_content(bomb, key, max_plaintext=LIMIT),
                 id="decrypt_content"),
])
def test_a_bomb_stops_at_the_limit_with_memory_near_it(bomb, list_key, read) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(PlaintextTooLarge) as raised:
            read(bomb, list_key)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert raised.value.limit == LIMIT
    assert "larger than 1048576 bytes once decrypted" in str(raised.value)
    # Read whole, the plaintext alone would take 256 MiB.
    assert peak < 4 * LIMIT


def test_a_message_within_the_limit_is_read_whole(gnupg, list_key) -> None:
    text = b"x" * (LIMIT - 1)
    message = gnupg.run("--armor", "--recipient", list_key.fingerprint,
                        "--compress-algo", "bzip2", "--encrypt", input=text).output
    assert decrypt_content(message, list_key, max_plaintext=LIMIT) == text


def test_what_the_list_sealed_itself_is_held_to_the_limit_too(list_key) -> None:
    sealed = encrypt_to_all(bytes(LIMIT + 1), [list_key.certificate])
    assert decrypt_own(sealed, list_key, max_plaintext=LIMIT + 1) == bytes(LIMIT + 1)
    with pytest.raises(PlaintextTooLarge) as raised:
        decrypt_own(sealed, list_key, max_plaintext=LIMIT)
    assert raised.value.limit == LIMIT
