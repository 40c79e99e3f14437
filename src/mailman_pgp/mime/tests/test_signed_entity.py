# Test that a decrypted entity and its detached signature become an RFC 3156 multipart/signed
# whose first part is the entity with CRLF line ends, byte for byte, written out so again
# after Mailman's ways of serializing it; a signature over those bytes verifies in GnuPG.

from __future__ import annotations

import pytest

from mailman_pgp.mime import MIMEError, entity_bytes, parse_entity, split_signed
from mailman_pgp.mime.signed_entity import crlf_lines, signed_entity

ENTITY = (b'Content-Type: multipart/mixed; boundary="in1"; protected-headers="v1"\r\n'
          b"Subject: Signed in one pass\r\n\r\n"
          b"--in1\r\n"
          b"Content-Type: text/plain; charset=UTF-8\r\n"
          b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
          b"Gr=C3=BC=C3=9Fe\r\n"
          b"--in1--\r\n")


@pytest.mark.parametrize(("data", "expected"), [
    pytest.param(b"a\nb\n", b"a\r\nb\r\n", id="lf"),
    pytest.param(b"a\r\nb\r\n", b"a\r\nb\r\n", id="crlf"),
    pytest.param(b"a\rb\r\n\nc", b"a\r\nb\r\n\r\nc", id="mixed"),
    pytest.param(b"", b"", id="empty"),
])
def test_crlf_lines_makes_every_line_end_crlf(data: bytes, expected: bytes) -> None:
    assert crlf_lines(data) == expected


def test_the_signed_part_is_the_entity_byte_for_byte(alice) -> None:
    signature = alice.sign_detached(ENTITY, digest="SHA512")
    built = signed_entity(ENTITY, signature, "sha512")

    assert built.get_content_type() == "multipart/signed"
    assert built.get_param("protocol") == "application/pgp-signature"
    assert built.get_param("micalg") == "pgp-sha512"
    parts = split_signed(built)
    assert parts.signed_bytes == ENTITY
    assert parts.content.get_param("protected-headers") == "v1"
    # Written out and read again, as it travels inside a copy: still the same bytes.
    again = split_signed(parse_entity(entity_bytes(built, "\r\n")))
    assert again.signed_bytes == ENTITY
    assert alice.verify_detached(again.signature, again.signed_bytes).verdict == "GOODSIG"


def test_an_lf_entity_travels_with_crlf_and_a_binary_signature_over_lf_fails(alice) -> None:
    lf_entity = ENTITY.replace(b"\r\n", b"\n")
    signature = alice.sign_detached(lf_entity)
    parts = split_signed(signed_entity(lf_entity, signature, "sha256"))
    assert parts.signed_bytes == ENTITY
    # What the caller finds when it verifies: the author signed other bytes.
    assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "BADSIG"


def test_a_text_mode_signature_over_lf_verifies_over_crlf(alice) -> None:
    lf_entity = ENTITY.replace(b"\r\n", b"\n")
    signature = alice.run("--armor", "--textmode", "--detach-sign", input=lf_entity).output
    parts = split_signed(signed_entity(lf_entity, signature, "sha256"))
    assert alice.verify_detached(parts.signature, parts.signed_bytes).verdict == "GOODSIG"


@pytest.mark.parametrize(("signature", "hash_algorithm"), [
    pytest.param(b"not armor", "sha256", id="not-armor"),
    pytest.param(b"-----BEGIN PGP SIGNATURE-----\n\n*\n-----END PGP SIGNATURE-----\n",
                 "sha256", id="damaged-armor"),
    pytest.param(None, "sha 256", id="bad-hash-name"),
])
def test_bad_input_is_refused(alice, signature: bytes | None, hash_algorithm: str) -> None:
    with pytest.raises(MIMEError):
        signed_entity(ENTITY, signature or alice.sign_detached(ENTITY), hash_algorithm)
