"""``append``: insert the new rows, matching columns by name; create the table on the first run."""

from __future__ import annotations

from interlace.engine.strategies.base import WriteRequest, WriteStats, affected_rows


def append(request: WriteRequest) -> WriteStats:
    if request.exists:
        request.execute(f"INSERT INTO {request.relation.sql} BY NAME {request.sql}")
    else:
        request.execute(f"CREATE TABLE {request.relation.sql} AS {request.sql}")
    rows = affected_rows(request.cursor)
    return WriteStats(rows=rows, inserted=rows)
