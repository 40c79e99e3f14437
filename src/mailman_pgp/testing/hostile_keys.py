"""Keys built to cost a reader time: many user IDs, many certifications by other keys.

Each is a valid certificate that Sequoia would accept, made with pysequoia in linear time
(every user ID is bound on a copy of the bare key and its packets collected), so tests can
build the keys an attacker would send without waiting for Sequoia's quadratic merging.
"""

from __future__ import annotations

from dataclasses import dataclass

import pysequoia
from pysequoia.packet import Packet, PacketPile, Tag


@dataclass(frozen=True)
class HostileKey:
    """A public key (``armor``) and its fingerprint; the secret is dropped."""

    fingerprint: str
    armor: str


def key_with_user_ids(email: str, count: int) -> HostileKey:
    """A key for ``email`` with ``count`` user IDs in all, each bound by a self-signature."""
    secret = pysequoia.Tsk.generate(f"Hostile <{email}>")
    public = secret.extract_certificate()
    signer = secret.certifier()
    extra: list[Packet] = []
    for index in range(count - 1):
        value = f"Alias {index} <alias{index}@{email.partition('@')[2]}>"
        extra.extend(_user_id_and_binding(public.add_user_id(value, signer), value))
    return _assembled(public, extra)


def key_with_certifications(email: str, count: int) -> HostileKey:
    """A key for ``email`` whose user ID carries ``count`` certifications by other keys."""
    user_id = f"Hostile <{email}>"
    public = pysequoia.Tsk.generate(user_id).extract_certificate()
    extra: list[Packet] = []
    for index in range(count):
        other = pysequoia.Tsk.generate(f"Certifier {index}")
        certified = public.add_user_id(user_id, other.certifier())
        issuer = other.extract_certificate().fingerprint.upper()
        extra.extend(p for p in _packets(certified) if p.tag == Tag.Signature
                     and (p.issuer_fingerprint or "").upper() == issuer)
    return _assembled(public, extra)


def _assembled(public: pysequoia.Cert, extra: list[Packet]) -> HostileKey:
    packets = _packets(public)
    # After the first user ID and its self-signature, before the subkeys.
    first_binding = next(i for i, p in enumerate(packets) if p.tag == Tag.UserID) + 2
    cert = pysequoia.Cert.from_packets(packets[:first_binding] + extra + packets[first_binding:])
    # pysequoia's str() of a certificate takes time quadratic in its user IDs; armoring its
    # bytes does not.
    return HostileKey(public.fingerprint.upper(),
                      pysequoia.armor(bytes(cert), pysequoia.ArmorKind.PublicKey))


def _user_id_and_binding(cert: pysequoia.Cert, value: str) -> list[Packet]:
    packets = _packets(cert)
    for index, packet in enumerate(packets):
        if packet.tag == Tag.UserID and packet.user_id == value:
            return [packet, packets[index + 1]]
    raise AssertionError(f"pysequoia did not add the user ID {value!r}")


def _packets(cert: pysequoia.Cert) -> list[Packet]:
    return list(PacketPile.from_bytes(bytes(cert)))
