"""The database's plan for a statement, for tests that check which index it reads, over an
outbox with enough rows for the plan to be the one a large outbox gets (not a test module)."""

from __future__ import annotations

from typing import Any

from mailman.config import config
from sqlalchemy import text

from mailman_webhooks.capture import EventRow, write_delivered_event
from mailman_webhooks.clock import utcnow
from mailman_webhooks.model import WebhookEvent


def add_pending(endpoint: str, count: int) -> None:
    """``count`` pending deliveries to ``endpoint``, each of an event of its own; then,
    on PostgreSQL, statistics, as its autovacuum keeps them (SQLite has none unless
    someone runs ANALYZE, which Mailman does not)."""
    now = utcnow()
    with config.db.engine.begin() as connection:
        for _ in range(count):
            columns = WebhookEvent.new_row("E", now, "{}", fanned_out=True)
            write_delivered_event(EventRow(dict(columns, secret_payload=None), (endpoint,), now),
                                  (endpoint,), connection)
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE webhook_delivery"))


def plan(statement: Any) -> str:
    """EXPLAIN of ``statement`` on Mailman's database, one line per step.

    On PostgreSQL sequential scans are made unattractive first, as they would be on a
    table of millions of rows; the tests' tables are tiny.
    """
    with config.db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))
            prefix = "EXPLAIN "
        else:
            prefix = "EXPLAIN QUERY PLAN "
        compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
        rows = connection.execute(text(prefix + str(compiled))).all()
        connection.rollback()
    return "\n".join(" ".join(str(column) for column in row) for row in rows)
