# Test that a PGP list's secret key is exported to a new 0600 file that GnuPG reads (as is, or
# encrypted with a passphrase), that keys made by GnuPG, Schleuder (RSA, as GnuPG exports it),
# the 2017 plugin's PGPy and our own export become a list's key only when they sign and decrypt,
# and that no REST resource offers a list's secret key.

import stat
from pathlib import Path
from urllib.error import HTTPError

import pytest
from mailman.app.lifecycle import create_list, remove_list
from mailman.config import config
from mailman.database.transaction import transaction
from mailman.interfaces.listmanager import IListManager
from mailman.testing.helpers import call_api, event_subscribers
from zope.component import getUtility

from mailman_pgp.app.key_backup import (
    MAX_KEY_FILE,
    KeyBackupError,
    PassphraseNeeded,
    export_list_key,
    import_list_key,
    is_protected,
    open_key_file,
    read_key_file,
)
from mailman_pgp.app.lists import POSTING_CHAIN, POSTING_PIPELINE
from mailman_pgp.app.tests.list_keys import assert_lists_work, encrypted_posts, make_pgp_lists
from mailman_pgp.config import pgp_config
from mailman_pgp.interfaces.events import ListKeyCreatedEvent
from mailman_pgp.interfaces.lists import IPGPListManager
from mailman_pgp.openpgp import SecretKey, generate_key
from mailman_pgp.rest.lists import APGPList
from mailman_pgp.rest.root import PGPRoot
from mailman_pgp.testing.gnupg import GnuPGClient

DATA = Path(__file__).parent / "data"
OPENPGP_KEYS = Path(__file__).resolve().parents[2] / "openpgp" / "tests" / "data" / "keys"


@pytest.fixture
def gpg():
    client = GnuPGClient()
    yield client
    client.close()


@pytest.fixture
def ant(mailman):
    with transaction():
        mlist = create_list("ant@example.com")
    return mlist


def manager():
    return getUtility(IPGPListManager)


def imported(mlist, data: bytes, passphrase: str | None = None, *, replace: bool = False):
    with transaction():
        return import_list_key(mlist, open_key_file(data, passphrase), replace=replace)


def secret_keys_in(gpg: GnuPGClient) -> list[str]:
    listing = gpg.run("--with-colons", "--list-secret-keys").output.decode().splitlines()
    return [line.split(":")[9] for index, line in enumerate(listing)
            if line.startswith("fpr:") and listing[index - 1].startswith("sec:")]


# -- export -------------------------------------------------------------------------------


def test_an_export_is_the_armored_secret_key_in_a_new_0600_file(mailman, tmp_path, gpg):
    [list_id] = make_pgp_lists("ant")
    path = tmp_path / "ant.asc"
    fingerprint = export_list_key(list_id, path)
    assert fingerprint == manager().get(list_id).fingerprint
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PGP PRIVATE KEY BLOCK-----")
    gpg.import_key(path.read_bytes())
    assert secret_keys_in(gpg) == [fingerprint]


def test_an_export_with_a_passphrase_opens_with_gnupg_and_that_passphrase(
        mailman, tmp_path, gpg):
    [list_id] = make_pgp_lists("ant")
    path = tmp_path / "ant.asc"
    fingerprint = export_list_key(list_id, path, passphrase="backup passphrase")
    data = path.read_bytes()
    assert data.startswith(b"-----BEGIN PGP MESSAGE-----")
    assert b"PRIVATE KEY" not in data and is_protected(data)
    assert gpg.run("--passphrase", "wrong", "--decrypt", input=data, check=False).returncode
    opened = gpg.run("--passphrase", "backup passphrase", "--decrypt", input=data)
    gpg.import_key(opened.output)
    assert secret_keys_in(gpg) == [fingerprint]


def test_the_plugins_passphrase_does_not_open_an_export(mailman, tmp_path):
    [list_id] = make_pgp_lists("ant")
    export_list_key(list_id, tmp_path / "ant.asc", passphrase="backup passphrase")
    with pytest.raises(KeyBackupError, match="cannot be opened with this passphrase"):
        open_key_file((tmp_path / "ant.asc").read_bytes(), pgp_config().key_passphrase)


@pytest.mark.parametrize("where", ["existing file", "symbolic link", "dangling link",
                                   "directory", "missing directory"])
def test_an_export_never_writes_over_anything(mailman, tmp_path, where):
    [list_id] = make_pgp_lists("ant")
    target = tmp_path / "target"
    target.write_text("kept\n")
    path = {
        "existing file": target,
        "symbolic link": tmp_path / "link",
        "dangling link": tmp_path / "dangling",
        "directory": tmp_path,
        "missing directory": tmp_path / "missing" / "ant.asc",
    }[where]
    if where == "symbolic link":
        path.symlink_to(target)
    elif where == "dangling link":
        path.symlink_to(tmp_path / "nowhere")
    with pytest.raises(KeyBackupError, match="exists already|cannot be created"):
        export_list_key(list_id, path)
    assert target.read_text() == "kept\n"
    assert not (tmp_path / "nowhere").exists()


def test_only_a_pgp_lists_key_is_exported(ant, tmp_path):
    with pytest.raises(KeyBackupError, match="ant.example.com is not a PGP list"):
        export_list_key("ant.example.com", tmp_path / "ant.asc")
    assert not (tmp_path / "ant.asc").exists()


def test_an_exported_key_moves_the_list_to_a_new_installation(mailman, tmp_path, gpg):
    [list_id] = make_pgp_lists("ant")
    posts = encrypted_posts(gpg, [list_id])
    fingerprint = export_list_key(list_id, tmp_path / "ant.asc", passphrase="backup")
    # The list as it is on the new installation: a plain list of the same name.
    with transaction():
        remove_list(getUtility(IListManager).get_by_list_id(list_id))
        mlist = create_list("ant@example.com")
    result = imported(mlist, (tmp_path / "ant.asc").read_bytes(), "backup")
    assert (result.fingerprint, result.replaced, result.notes) == (fingerprint, None, ())
    assert_lists_work(manager(), gpg, posts)


# -- import -------------------------------------------------------------------------------


def test_a_gnupg_key_makes_the_list_a_pgp_list(ant, gpg):
    fingerprint = gpg.generate("Ant List <ant@example.com>")
    seen = []
    with event_subscribers(seen.append):
        result = imported(ant, gpg.export_secret(fingerprint).encode())
    assert (result.list_id, result.fingerprint, result.replaced) == (
        "ant.example.com", fingerprint, None)
    assert result.notes == ()
    assert (ant.posting_chain, ant.posting_pipeline) == (POSTING_CHAIN, POSTING_PIPELINE)
    [event] = [e for e in seen if isinstance(e, ListKeyCreatedEvent)]
    assert (event.mlist, event.fingerprint) == (ant, fingerprint)
    stored = bytes(manager().get("ant.example.com").protected_secret_key)
    assert b"PRIVATE KEY" not in stored
    assert SecretKey.unprotect(stored, pgp_config().key_passphrase).fingerprint == fingerprint
    assert_lists_work(manager(), gpg, encrypted_posts(gpg, ["ant.example.com"]))


def test_a_schleuder_lists_rsa_key_as_gnupg_exports_it(ant, gpg):
    # Schleuder makes RSA-4096 keys without a passphrase, an encryption subkey beside the
    # primary key, in the list's GnuPG keyring; `gpg --export-secret-keys` gives this.
    data = (OPENPGP_KEYS / "bob_rsa4096.sec.asc").read_bytes()
    result = imported(ant, data)
    assert manager().get("ant.example.com").certificate().algorithm == "rsa4096"
    assert "no user ID with the list's address ant@example.com" in result.notes[0]
    assert_lists_work(manager(), gpg, encrypted_posts(gpg, ["ant.example.com"]))


def test_a_key_the_2017_plugin_made_with_pgpy(ant, gpg):
    data = (DATA / "pgpy_list_key_TEST_ONLY.asc").read_bytes()
    result = imported(ant, data)
    assert [result.fingerprint] == gpg.fingerprints(data)
    assert "no user ID with the list's address" in result.notes[0]
    assert_lists_work(manager(), gpg, encrypted_posts(gpg, ["ant.example.com"]))


def test_a_pgp_lists_key_is_replaced_only_when_asked(ant, gpg):
    with transaction():
        from mailman_pgp.app.lists import make_pgp_list

        make_pgp_list(ant)
    before = manager().get("ant.example.com").fingerprint
    fingerprint = gpg.generate("Ant List <ant@example.com>")
    data = gpg.export_secret(fingerprint).encode()
    with pytest.raises(KeyBackupError, match="is a PGP list already.*--replace"):
        imported(ant, data)
    assert manager().get("ant.example.com").fingerprint == before
    seen = []
    with event_subscribers(seen.append):
        result = imported(ant, data, replace=True)
    assert (result.fingerprint, result.replaced) == (fingerprint, before)
    assert "can no longer be read" in result.notes[0]
    assert [e.fingerprint for e in seen if isinstance(e, ListKeyCreatedEvent)] == [fingerprint]
    pgp_list = manager().get("ant.example.com")
    assert pgp_list.fingerprint == fingerprint
    assert pgp_list.certificate().fingerprint == fingerprint
    assert_lists_work(manager(), gpg, encrypted_posts(gpg, ["ant.example.com"]))


def test_the_key_of_another_pgp_list_is_refused(mailman, tmp_path):
    [list_id] = make_pgp_lists("ant")
    export_list_key(list_id, tmp_path / "ant.asc")
    with transaction():
        bee = create_list("bee@example.com")
    with pytest.raises(KeyBackupError, match="is the key of ant.example.com already"):
        imported(bee, (tmp_path / "ant.asc").read_bytes())
    assert manager().get("bee.example.com") is None


def gpg_key_with_a_passphrase(gpg: GnuPGClient) -> bytes:
    gpg.run("--passphrase", "its own", "--quick-generate-key", "Ant <ant@example.com>",
            "future-default", "default", "never")
    return gpg.run("--passphrase", "its own", "--armor", "--export-secret-keys").output


def gpg_sign_only_key(gpg: GnuPGClient) -> bytes:
    gpg.run("--quick-generate-key", "Ant <ant@example.com>", "ed25519", "sign", "never")
    return gpg.run("--armor", "--export-secret-keys").output


@pytest.mark.parametrize("make, message", [
    (lambda gpg: gpg.export(gpg.generate("Ant <ant@example.com>")).encode(),
     "holds no secret key material"),
    (lambda gpg: (gpg.export_secret(gpg.generate("A <a@example.com>"))
                  + gpg.export_secret(gpg.generate("B <b@example.com>"))).encode(),
     "does not hold one readable OpenPGP secret key"),
    (gpg_key_with_a_passphrase, "cannot sign: its secret parts are protected"),
    (lambda gpg: (OPENPGP_KEYS / "carol_expired.sec.asc").read_bytes(), "expired"),
    (gpg_sign_only_key, "no valid key for encryption"),
    (lambda gpg: b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnot a key\n", "readable"),
], ids=["public key", "two keys", "passphrase of its own", "expired", "sign only", "garbage"])
def test_a_key_that_cannot_be_a_lists_key_is_refused(ant, gpg, make, message):
    with pytest.raises(KeyBackupError, match=message):
        imported(ant, make(gpg))
    assert manager().get("ant.example.com") is None
    assert ant.posting_chain == "default-posting-chain"


def test_a_protected_key_file_needs_its_passphrase(mailman, tmp_path):
    protected = generate_key("Ant <ant@example.com>").protect("backup")
    with pytest.raises(PassphraseNeeded):
        open_key_file(protected)
    with pytest.raises(KeyBackupError, match="cannot be opened with this passphrase"):
        open_key_file(protected, "wrong")
    assert open_key_file(protected, "backup").certificate.user_ids == ("Ant <ant@example.com>",)


def test_a_key_file_larger_than_any_key_is_not_read(tmp_path):
    path = tmp_path / "big.asc"
    path.write_bytes(b"x" * (MAX_KEY_FILE + 1))
    with pytest.raises(KeyBackupError, match="larger than"):
        read_key_file(path)
    with pytest.raises(KeyBackupError, match="not a regular file"):
        read_key_file(Path("/dev/null"))
    with pytest.raises(KeyBackupError, match="cannot be read"):
        read_key_file(tmp_path / "missing.asc")


# -- never through REST -------------------------------------------------------------------


def resource_tree(resource, path: str = "") -> dict[str, set[str]]:
    """The methods of each path below ``resource``, following its ``@child`` methods (a
    PGP list's, for ``lists/<id>``)."""
    methods = {name[3:].upper() for name in dir(resource)
               if name.startswith("on_") and callable(getattr(resource, name))}
    tree = {path or "/": methods}
    for name in dir(type(resource)):
        matcher = getattr(getattr(type(resource), name), "__matcher__", None)
        if matcher is None:
            continue
        tree[f"{path}/{matcher}"] = set()
        children = {"lists": [APGPList(resource._paths, "LIST_ID")]}.get(matcher, [])
        for child in children:
            tree.update(resource_tree(child, f"{path}/{matcher}/<id>"))
    return tree


def test_the_rest_roots_children_offer_no_secret_key(mailman):
    # Everything below /3.1/plugins/pgp/: its own children, and a PGP list's.
    root = config.plugins["pgp"].resource
    assert isinstance(root, PGPRoot)
    tree = resource_tree(root)
    assert set(tree) == {"/", "/lists", "/addresses", "/lists/<id>", "/lists/<id>/key",
                         "/lists/<id>/key-changes", "/lists/<id>/archive-keys",
                         "/lists/<id>/member-keys", "/lists/<id>/held"}
    assert tree["/lists/<id>"] == {"GET", "PATCH"}
    words = " ".join(tree).lower()
    assert not any(word in words for word in ("secret", "export", "import", "passphrase",
                                              "private", "backup"))


@pytest.mark.parametrize("method, path", [
    ("GET", "lists/ant.example.com/secret-key"),
    ("GET", "lists/ant.example.com/key/secret"),
    ("GET", "lists/ant.example.com/export"),
    ("POST", "lists/ant.example.com/import"),
    ("PUT", "lists/ant.example.com/key"),
    ("POST", "lists/ant.example.com/key"),
    ("PATCH", "lists/ant.example.com/key"),
    ("GET", "passphrase"),
    ("POST", "passphrase/rotate"),
])
def test_no_rest_path_exports_imports_or_rotates(rest_url, method, path):
    make_pgp_lists("ant")
    config.db.commit()
    with pytest.raises(HTTPError) as error:
        call_api(rest_url(f"3.1/plugins/pgp/{path}"), {"secret_key": "x"}
                 if method != "GET" else None, method=method)
    assert error.value.code in (404, 405)
    key = call_api(rest_url("3.1/plugins/pgp/lists/ant.example.com/key"))[0]
    assert "PRIVATE KEY" not in str(key) and "MESSAGE" not in str(key)
    assert set(key) >= {"list_id", "fingerprint", "public_key"}
