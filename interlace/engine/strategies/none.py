"""``none``: the model writes nothing itself; its query runs for its side effects only."""

from __future__ import annotations

from interlace.engine.strategies.base import WriteRequest, WriteStats


def none(request: WriteRequest) -> WriteStats:
    request.execute(request.sql)
    return WriteStats()
