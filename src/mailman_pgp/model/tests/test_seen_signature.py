# Test that the replay store records a signature once per list within the window, renews one
# seen longer ago, prunes rows older than the window a bounded number at a time, keeps at
# most SEEN_KEPT rows per list, and forgets a list's rows.

from datetime import datetime, timedelta

from mailman.config import config
from mailman.database.transaction import transaction
from sqlalchemy import func, select

from mailman_pgp.model import seen_signature
from mailman_pgp.model.seen_signature import (
    PGPSeenSignature,
    forget_signatures,
    record_signature,
    signature_seen,
)

WINDOW = timedelta(days=7)
AT = datetime(2030, 1, 10, 12, 0)


def rows(list_id: str = "ant.example.com") -> int:
    return config.db.store.execute(select(func.count()).where(
        PGPSeenSignature.list_id == list_id)).scalar()


def test_a_signature_is_recorded_once_per_list_within_the_window(mailman):
    with transaction():
        assert record_signature("ant.example.com", "a" * 64, at=AT, window=WINDOW)
        assert not record_signature("ant.example.com", "a" * 64, at=AT + timedelta(days=1),
                                    window=WINDOW)
        assert record_signature("bee.example.com", "a" * 64, at=AT, window=WINDOW)
    assert signature_seen("ant.example.com", "a" * 64, since=AT - WINDOW)
    assert not signature_seen("ant.example.com", "a" * 64, since=AT + timedelta(hours=1))
    # Seen longer ago than the window: recorded anew.
    with transaction():
        assert record_signature("ant.example.com", "a" * 64, at=AT + timedelta(days=8),
                                window=WINDOW)
    assert rows() == 1


def test_old_rows_go_a_bounded_number_at_a_time(mailman, monkeypatch):
    monkeypatch.setattr(seen_signature, "PRUNED_PER_RECORD", 3)
    with transaction():
        for number in range(10):
            record_signature("ant.example.com", f"{number:064x}", at=AT, window=WINDOW)
    later = AT + timedelta(days=8)
    with transaction():
        record_signature("ant.example.com", "f" * 64, at=later, window=WINDOW)
    assert rows() == 10 - 3 + 1
    with transaction():
        for number in range(3):
            record_signature("ant.example.com", f"{number:063x}e", at=later, window=WINDOW)
    assert rows() == 1 + 3


def test_a_list_keeps_at_most_seen_kept_rows(mailman, monkeypatch):
    monkeypatch.setattr(seen_signature, "SEEN_KEPT", 5)
    monkeypatch.setattr(seen_signature, "COUNT_EVERY", 1)
    with transaction():
        for number in range(8):
            record_signature("ant.example.com", f"{number:064x}",
                             at=AT + timedelta(minutes=number), window=WINDOW)
    assert rows() == 5
    # The newest stay.
    assert signature_seen("ant.example.com", f"{7:064x}", since=AT - WINDOW)
    assert not signature_seen("ant.example.com", f"{0:064x}", since=AT - WINDOW)


def test_a_lists_signatures_are_forgotten(mailman):
    with transaction():
        record_signature("ant.example.com", "a" * 64, at=AT, window=WINDOW)
        record_signature("bee.example.com", "a" * 64, at=AT, window=WINDOW)
        forget_signatures("ant.example.com")
    assert (rows("ant.example.com"), rows("bee.example.com")) == (0, 1)
