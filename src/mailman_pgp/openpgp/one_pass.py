"""The signature of a message signed and encrypted in one pass (RFC 3156 6.2), detached.

The SOP command's ``decrypt`` hands out the plaintext and which signatures verify, never
the signatures themselves, and pysequoia 0.1.35 cannot read GnuPG's compressed signed
and encrypted messages. Sequoia's ``sq packet decrypt`` takes off the encryption alone and
leaves the signed message inside it (one-pass signature, literal data, signature, often
compressed); the SOP command's ``inline-detach`` splits that into the text and detached
signatures, which can then travel beside the text (RFC 3156 section 5).

The list's secret key reaches ``sq`` through a pipe (``--recipient-key /dev/fd/N``), never
on its command line or on disk. ``sq`` 0.27 warns on stderr that its command line is not
stable; stderr is dropped as for every command (`mailman_pgp.openpgp.process`).
"""

from __future__ import annotations

from public import public
from pysequoia.packet import PacketPile, Tag

from mailman_pgp.openpgp.errors import (
    DecryptionError,
    MalformedMessage,
    NotSignedInside,
    PlaintextTooLarge,
)
from mailman_pgp.openpgp.keys import SecretKey
from mailman_pgp.openpgp.messages import DEFAULT_SOP, DetachedSignature, hash_name
from mailman_pgp.openpgp.process import OutputTooLarge, PipeIn, minimal_env, run
from mailman_pgp.openpgp.sop import SOP


@public
def one_pass_signature(ciphertext: bytes, key: SecretKey, plaintext: bytes, *,
                       sop: SOP = DEFAULT_SOP) -> DetachedSignature:
    """The signatures made together with the encryption of ``ciphertext``, detached.

    ``plaintext`` is what the list decrypted from ``ciphertext`` before (and checked): the
    text the signatures cover must be it byte for byte, or `MalformedMessage`, so that
    what was checked is what travels with them. `NotSignedInside` when nothing inside the
    encryption is signed; `DecryptionError` when ``key`` cannot take the encryption off;
    `MalformedMessage` when what is inside is not one signed message, or its signatures
    use more than one hash (a ``multipart/signed`` names one); `CommandUnavailable` (and
    `CommandTimedOut`) as the other commands raise it.
    """
    signed = _signed_message(bytes(ciphertext), key, sop)
    try:
        # The text cannot be longer than the plaintext it must equal.
        detached = sop.inline_detach(signed, max_output=len(plaintext))
    except PlaintextTooLarge:
        raise _not_the_plaintext() from None
    if detached.text != plaintext:
        raise _not_the_plaintext()
    return DetachedSignature(detached.signatures, _one_hash(detached.signatures))


def _signed_message(ciphertext: bytes, key: SecretKey, sop: SOP) -> bytes:
    """What is inside the encryption of ``ciphertext``, as it is there (not decompressed)."""
    try:
        # Inside is at most as long as the ciphertext (armor only adds to it).
        done = run([sop.sq, "packet", "decrypt", "--binary", "--recipient-key",
                    PipeIn(key._secret(), "/dev/fd/{}")],
                   stdin=ciphertext, timeout=sop.timeout, env=minimal_env(),
                   max_output=len(ciphertext))
    except OutputTooLarge:
        raise DecryptionError("The message could not be decrypted: it is not a readable"
                              " OpenPGP message.") from None
    if done.returncode != 0 or not done.stdout:
        raise DecryptionError(
            "The message could not be decrypted: it is not encrypted to this list's key,"
            " or it is not a readable OpenPGP message.")
    return done.stdout


def _one_hash(signatures: bytes) -> str:
    """The one hash algorithm the ``signatures`` use, by its RFC 3156 name."""
    if not signatures.strip():
        raise NotSignedInside("The message holds no signature inside its encryption.")
    try:
        packets = list(PacketPile.from_bytes(signatures))
    except RuntimeError as error:
        raise MalformedMessage("The signatures inside the message cannot be read.") \
            from error
    names = {hash_name(packet.hash_algorithm) for packet in packets
             if packet.tag == Tag.Signature}
    if not names:
        raise NotSignedInside("The message holds no signature inside its encryption.")
    if len(names) > 1:
        raise MalformedMessage("The signatures inside the message use different hash"
                               " algorithms, which one multipart/signed cannot name.")
    [name] = names
    return name


def _not_the_plaintext() -> MalformedMessage:
    return MalformedMessage("The signed text inside the message is not the text it"
                            " decrypts to.")
