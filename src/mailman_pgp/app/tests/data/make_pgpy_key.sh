#!/bin/sh
# Regenerates pgpy_list_key_TEST_ONLY.asc: a list key as the 2017 mailman-pgp plugin made one.
# Needs a Python with PGPy (pip install pgpy==0.6.0), which the plugin does not use:
#   PYTHON=/path/to/python sh make_pgpy_key.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
"${PYTHON:-python3}" - > "$here/pgpy_list_key_TEST_ONLY.asc" <<'EOF'
"""That plugin generated each list's key pair with PGPy and kept it, unprotected and
ASCII-armored, in a file per list: an RSA primary key for signing and certification with
the list's address as user ID, and an RSA encryption subkey.
"""

from datetime import datetime, timezone

from pgpy import PGPUID, PGPKey
from pgpy.constants import (
    CompressionAlgorithm,
    HashAlgorithm,
    KeyFlags,
    PubKeyAlgorithm,
    SymmetricKeyAlgorithm,
)

# Made when the 2017 plugin was in use, so that no clock finds the key made in the future.
MADE = datetime(2017, 8, 1, tzinfo=timezone.utc)

primary = PGPKey.new(PubKeyAlgorithm.RSAEncryptOrSign, 3072, created=MADE)
uid = PGPUID.new("Old List", email="old-list@example.com")
primary.add_uid(
    uid,
    usage={KeyFlags.Sign, KeyFlags.Certify},
    hashes=[HashAlgorithm.SHA256, HashAlgorithm.SHA384, HashAlgorithm.SHA512],
    ciphers=[SymmetricKeyAlgorithm.AES256, SymmetricKeyAlgorithm.AES128],
    compression=[CompressionAlgorithm.ZLIB, CompressionAlgorithm.Uncompressed],
    created=MADE,
)
encryption = PGPKey.new(PubKeyAlgorithm.RSAEncryptOrSign, 3072, created=MADE)
primary.add_subkey(encryption, usage={KeyFlags.EncryptCommunications, KeyFlags.EncryptStorage},
                   created=MADE)
print(str(primary))
EOF
