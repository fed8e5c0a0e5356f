"""``replace``: build the new table and swap it in (``CREATE OR REPLACE`` inside the transaction)."""

from __future__ import annotations

from interlace.engine.strategies.base import WriteRequest, WriteStats, affected_rows


def replace(request: WriteRequest) -> WriteStats:
    request.execute(f"CREATE OR REPLACE TABLE {request.relation.sql} AS {request.sql}")
    rows = affected_rows(request.cursor)
    return WriteStats(rows=rows, inserted=rows)
