# Test that the minimal form of a key (what an Autocrypt header carries) keeps the key's own
# parts, the user ID of the address and what the key signed itself, and drops other user
# IDs and certifications by other keys, and that GnuPG reads it as the same key.

from mailman_pgp.openpgp import load_certificate, minimal_certificate
from mailman_pgp.testing.gnupg import GnuPGClient


def listing(client: GnuPGClient, data: bytes) -> list[list[str]]:
    lines = client.run("--with-colons", "--with-sig-list", "--import-options", "show-only",
                       "--import", input=data).output.decode().splitlines()
    return [line.split(":") for line in lines]


def test_the_minimal_form_keeps_the_address_and_drops_certifications_and_other_ids():
    owner, certifier = GnuPGClient(), GnuPGClient()
    try:
        fingerprint = owner.generate("Crypt <crypto@example.com>")
        owner.run("--quick-add-uid", fingerprint, "Other <other@example.org>")
        certifier.generate("Carl <carl@example.com>")
        certifier.import_key(owner.export(fingerprint))
        certifier.certify(fingerprint)
        certified = certifier.export(fingerprint)
        certifier_id = certifier.fingerprint("carl@example.com")[-16:]
        assert any(row[0] == "sig" and row[4] == certifier_id
                   for row in listing(owner, certified.encode()))

        minimal = minimal_certificate(load_certificate(certified), "crypto@example.com")

        rows = listing(owner, minimal)
        assert [row[9] for row in rows if row[0] == "fpr"][0] == fingerprint
        assert [row[9] for row in rows if row[0] == "uid"] == ["Crypt <crypto@example.com>"]
        assert not any(row[0] == "sig" and row[4] == certifier_id for row in rows)
        assert any(row[0] == "sub" and "e" in row[11] for row in rows)
        assert len(minimal) < len(certified)
    finally:
        owner.close()
        certifier.close()


def test_a_key_without_the_address_keeps_its_user_ids(list_key):
    minimal = minimal_certificate(list_key.certificate, "nobody@example.net")
    assert load_certificate(minimal).user_ids == list_key.certificate.user_ids
