# Test that gpg's status lines are read into the right verdict per signature, and no home is left.

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from mailman_pgp.openpgp.gnupg import GnuPG, GpgVerdict, parse_status
from mailman_pgp.openpgp.messages import _judge_report
from mailman_pgp.openpgp.tests.key_files import cert
from mailman_pgp.openpgp.verification import SignatureStatus

PRIMARY = "A" * 40
SUBKEY = "B" * 40


def status(*lines: str) -> bytes:
    return "".join(f"[GNUPG:] {line}\n" for line in lines).encode()


def test_a_good_signature_gives_the_primary_fingerprint_and_time() -> None:
    report = parse_status(status(
        "NEWSIG alice@example.com",
        f"GOODSIG {SUBKEY[-16:]} Alice <alice@example.com>",
        f"VALIDSIG {SUBKEY} 2026-11-24 1795482764 0 4 0 22 10 00 {PRIMARY}",
    ))
    [signature] = report.signatures
    assert signature.verdict is GpgVerdict.GOOD
    assert signature.primary_fingerprint == PRIMARY
    assert signature.created == datetime(2026, 11, 24, 1, 12, 44, tzinfo=UTC)


def test_each_verdict_keyword_is_recognized() -> None:
    report = parse_status(status(
        "NEWSIG", f"BADSIG {SUBKEY[-16:]} Someone",
        "NEWSIG", f"EXPKEYSIG {SUBKEY[-16:]} Someone",
        "NEWSIG", f"REVKEYSIG {SUBKEY[-16:]} Someone",
        "NEWSIG", f"ERRSIG {SUBKEY[-16:]} 22 10 00 1795482764 9 {SUBKEY}",
        f"NO_PUBKEY {SUBKEY[-16:]}",
        "NEWSIG", f"ERRSIG {SUBKEY[-16:]} 99 10 00 1795482764 4 -",
    ))
    assert [s.verdict for s in report.signatures] == [
        GpgVerdict.BAD, GpgVerdict.EXPIRED_KEY, GpgVerdict.REVOKED_KEY,
        GpgVerdict.NO_PUBLIC_KEY, GpgVerdict.ERROR]
    assert report.signatures[3].issuer == SUBKEY
    assert report.signatures[4].issuer == SUBKEY[-16:]


def test_no_signature_and_no_data_are_told_apart() -> None:
    assert parse_status(status("BEGIN_DECRYPTION", "DECRYPTION_OKAY")).signatures == []
    assert parse_status(status("NODATA 1", "NODATA 2")).no_data
    assert parse_status(status("BEGIN_DECRYPTION", "DECRYPTION_FAILED")).unreadable


def test_iso_timestamps_are_read_and_foreign_lines_ignored() -> None:
    report = parse_status(
        b"gpg: Signature made ...\n"
        + status("NEWSIG", f"GOODSIG {SUBKEY[-16:]} X",
                 f"VALIDSIG {SUBKEY} 2026-11-24 20261124T011244 0 4 0 22 10 00 {PRIMARY}"))
    assert report.signatures[0].created == datetime(2026, 11, 24, 1, 12, 44, tzinfo=UTC)


def test_the_throwaway_home_is_removed(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    alice = cert("alice_cv25519").armor.encode()
    report = GnuPG().check_detached(b"data", b"not a signature", [alice])
    assert report.signatures == []
    assert list(tmp_path.iterdir()) == []


def test_a_message_gpg_cannot_open_is_judged_bad_not_unsigned() -> None:
    unreadable = parse_status(status("BEGIN_DECRYPTION", "DECRYPTION_FAILED"))
    assert _judge_report(unreadable, []).status is SignatureStatus.BAD
    unsigned = parse_status(status("BEGIN_DECRYPTION", "DECRYPTION_OKAY"))
    assert _judge_report(unsigned, []).status is SignatureStatus.NO_SIGNATURE
