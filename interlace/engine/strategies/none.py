"""``none``: the model writes nothing itself; its query runs for its side effects only."""

from __future__ import annotations

from interlace.engine.strategies.base import WriteRequest, WriteStats


def none(request: WriteRequest) -> WriteStats:
    """Run the query; its rows (if it returns any) are kept as the run's result of the model."""
    result = request.execute(request.sql)
    table = result.to_arrow_table() if result.description else None
    return WriteStats(rows=table.num_rows if table is not None else None, result=table)
