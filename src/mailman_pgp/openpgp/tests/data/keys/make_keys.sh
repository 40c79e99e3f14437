#!/bin/sh
# Regenerates the GnuPG-made test keys in this directory (RSA-4096 takes a while).
# Expiry and revocation are made real: carol's key was created and expired in the past
# (gpg --faked-system-time), dave's key carries gpg's own revocation certificate.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'gpgconf --kill gpg-agent; rm -rf "$GNUPGHOME"' EXIT
# Keys without passphrase.
gpgq() { gpg --batch --pinentry-mode loopback --passphrase '' "$@"; }

fpr() { gpg --with-colons --list-keys "$1" | awk -F: '/^fpr/ { print $10; exit }'; }
export_pair() {  # address, file stem
    gpg --armor --export "$1" > "$here/$2.pub.asc"
    gpgq --armor --export-secret-keys "$1" > "$here/$2.sec.asc"
}

gpgq --quick-gen-key 'Alice <alice@example.com>' future-default default never
export_pair alice@example.com alice_cv25519

gpgq --quick-gen-key 'Bob <bob@example.com>' rsa4096 cert,sign never
gpgq --quick-add-key "$(fpr bob@example.com)" rsa4096 encr never
export_pair bob@example.com bob_rsa4096

gpgq --faked-system-time 20200101T000000! \
    --quick-gen-key 'Carol <carol@example.com>' future-default default 1y
export_pair carol@example.com carol_expired

gpgq --quick-gen-key 'Dave <dave@example.com>' future-default default never
gpgq --armor --export-secret-keys dave@example.com > "$here/dave_before_revocation.sec.asc"
sed 's/^:-----/-----/' "$GNUPGHOME/openpgp-revocs.d/$(fpr dave@example.com).rev" | gpg --import
gpg --armor --export dave@example.com > "$here/dave_revoked.pub.asc"

gpgq --quick-gen-key 'Erin <erin@example.com>' ed25519 sign never
gpg --armor --export erin@example.com > "$here/erin_sign_only.pub.asc"

gpgq --quick-gen-key 'Frank <frank@example.com>' ed25519 cert never
gpgq --quick-add-key "$(fpr frank@example.com)" cv25519 encr never
gpg --armor --export frank@example.com > "$here/frank_encrypt_only.pub.asc"

# alice_binding_without_creation_time.pub.asc (not made by this script): the packets of
# alice_cv25519.pub.asc followed by a copy of its subkey binding signature whose hashed
# creation-time subpacket (type 2) was cut out and whose lengths were fixed by hand, so it
# no longer verifies: a signature anyone can append to a public key.
