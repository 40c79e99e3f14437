# Test that the at-rest scan finds a marker in each form mail and Mailman's storage put text in,
# across line wraps and chunk boundaries, and in a database row; and finds nothing where it is not.

import base64
import pickle
import quopri
import sqlite3
from email.header import Header

import pytest
from sqlalchemy import create_engine

from mailman_pgp.testing import at_rest
from mailman_pgp.testing.at_rest import scan, scan_database

MARKER = "secret-0123456789abcdef"


@pytest.mark.parametrize(("form", "data"), [
    ("utf-8", MARKER.encode()),
    ("quoted-printable", quopri.encodestring(("ü" + MARKER).encode())),
    ("base64 wrapped", base64.encodebytes(b"x" * 50 + MARKER.encode() + b"y" * 50)),
    ("base64+1", base64.b64encode(b"a" + MARKER.encode())),
    ("base64+2", base64.b64encode(b"ab" + MARKER.encode())),
    ("rfc 2047", Header("Grüße " + MARKER, "utf-8").encode().encode()),
    ("utf-16", MARKER.encode("utf-16-le")),
    ("pickle", pickle.dumps({"subject": MARKER})),
    ("log repr", repr({"subject": MARKER.encode()}).encode()),
], ids=lambda value: value if isinstance(value, str) else "")
def test_a_marker_is_found_in_each_form(tmp_path, form, data):
    (tmp_path / "queue").mkdir()
    (tmp_path / "queue" / "file.pck").write_bytes(b"head " + data + b" tail")
    [finding] = {(f.path, f.marker) for f in scan(tmp_path, [MARKER])}
    assert finding == (tmp_path / "queue" / "file.pck", MARKER)


def test_a_marker_across_a_chunk_boundary_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(at_rest, "CHUNK", 64)
    (tmp_path / "big").write_bytes(b"x" * 60 + MARKER.encode() + b"y" * 200)
    assert [f.marker for f in scan(tmp_path, [MARKER])][:1] == [MARKER]


def test_nothing_is_found_where_the_marker_is_not(tmp_path):
    (tmp_path / "file").write_bytes(b"secret-0123456789abcdeX and other things")
    assert scan(tmp_path, [MARKER]) == []


def test_a_marker_in_a_database_row_is_found(tmp_path):
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE request (id INTEGER PRIMARY KEY, data BLOB, subject TEXT)")
        db.execute("INSERT INTO request (data, subject) VALUES (?, ?)",
                   (pickle.dumps({"_mod_subject": MARKER}), "nothing"))
    findings = scan_database(create_engine(f"sqlite:///{path}"), [MARKER])
    assert {str(f.path) for f in findings} == {"request.data"}
