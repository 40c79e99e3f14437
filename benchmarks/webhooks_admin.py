"""Webhooks: what REST's endpoint health and delivery list cost over a large outbox.

Fills the plugin's tables in a fresh database (a new SQLite file, or the PostgreSQL URL
given) with 1,000,000 events, deliveries and attempts of 3 endpoints, then times endpoint
health and the first page of ``GET deliveries`` (without ``count``/``page``, as REST reads
it), and health again with a third of the deliveries pending (a dead endpoint's backlog).
Runs whichever ``mailman_webhooks`` is importable, so ``PYTHONPATH`` can point it at an
older tree to compare. Not part of ``make bench`` (filling takes one to four minutes).

    python -m benchmarks.webhooks_admin [--rows N] [DATABASE_URL]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta

import mailman.model
from mailman.database.model import Model
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from mailman_webhooks import admin
from mailman_webhooks.model import TABLES, WebhookAttempt, WebhookDelivery, WebhookEvent

# Every Mailman model, so that the mappers the plugin's tables lead to (through Mailman's
# own rows) can be set up.
for _module in pkgutil.iter_modules(mailman.model.__path__):
    importlib.import_module(f"mailman.model.{_module.name}")

ROWS = 1_000_000
CHUNK = 50_000
NAMES = ["crm", "ui", "audit"]
START = datetime(2025, 1, 1)


def _fill(engine, rows: int) -> None:
    with engine.begin() as connection:
        for table in reversed(TABLES):
            table.drop(connection, checkfirst=True)
        Model.metadata.create_all(connection, tables=TABLES)
    columns = {column.name for column in WebhookDelivery.__table__.columns}
    with engine.begin() as connection:
        for first in range(1, rows + 1, CHUNK):
            numbers = range(first, min(first + CHUNK, rows + 1))
            connection.execute(insert(WebhookEvent), [
                dict(sequence=n, id=uuid.uuid4(), name="DomainCreatedEvent",
                     created=START + timedelta(seconds=n), payload={"domain": f"d{n}"},
                     fanned_out=True)
                for n in numbers])
            deliveries = [
                dict(id=n, event_sequence=n, endpoint=NAMES[n % 3], created=START,
                     retry_from=START, status="delivered" if n % 10 else "failed",
                     attempts=1, next_attempt_at=None, last_attempt_at=START,
                     last_status_code=200)
                for n in numbers]
            connection.execute(insert(WebhookDelivery.__table__),
                               [{k: v for k, v in row.items() if k in columns}
                                for row in deliveries])
            connection.execute(insert(WebhookAttempt), [
                dict(id=n, delivery_id=n, at=START + timedelta(seconds=n),
                     status_code=200 if n % 10 else 500, duration=0.01, error=None)
                for n in numbers])
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))


def _best(engine, label: str, call, repeat: int) -> None:
    times = []
    for _ in range(repeat):
        with Session(engine) as store:
            began = time.perf_counter()
            call(store)
            times.append(time.perf_counter() - began)
    print(f"  {label}: {min(times) * 1000:.1f} ms (best of {repeat})", flush=True)


def _health(store) -> None:
    if "now" in inspect.signature(admin.endpoint_health).parameters:
        admin.endpoint_health(store, NAMES, datetime.now())
    else:  # before health counters
        admin.endpoint_health(store, NAMES)  # type: ignore[call-arg]


def _first_page(store, **filters) -> None:
    page_size: int | None
    try:
        from mailman_webhooks.rest.deliveries import DEFAULT_PAGE_SIZE as page_size
    except ImportError:  # before a default page: Mailman's CollectionMixin read them all
        page_size = None
    query = admin.DeliveryQuery(store, **filters)
    len(query)
    if page_size is None:
        list(query)
    else:
        query[0:page_size]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS,
                        help="events, deliveries and attempts to write (default 1,000,000)")
    parser.add_argument("url", nargs="?", help="a PostgreSQL URL (default: a new SQLite file)")
    args = parser.parse_args(argv)
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/outbox.db"
    engine = create_engine(url)
    began = time.monotonic()
    _fill(engine, args.rows)
    print(f"{engine.dialect.name}: {args.rows:,} events, deliveries and attempts written in "
          f"{time.monotonic() - began:.0f}s", flush=True)
    _best(engine, "endpoint health, 3 endpoints", _health, 5)
    _best(engine, "GET deliveries", _first_page, 3)
    _best(engine, "GET deliveries?endpoint=crm", lambda s: _first_page(s, endpoint="crm"), 3)
    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE webhook_delivery SET status = 'pending', next_attempt_at = created"
            " WHERE endpoint = 'crm'"))
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE webhook_delivery"))
    print(f"  with the {args.rows // 3:,} deliveries of one endpoint"
          " pending:", flush=True)
    _best(engine, "endpoint health, 3 endpoints", _health, 5)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
