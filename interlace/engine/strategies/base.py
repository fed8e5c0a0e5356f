"""The values passed to and returned from a write strategy."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from interlace.engine.relation import Relation
from interlace.project.spec import ModelSpec

__all__ = ["WriteRequest", "WriteStats", "affected_rows"]


@dataclass(frozen=True, slots=True)
class WriteRequest:
    cursor: duckdb.DuckDBPyConnection  # inside the model's open transaction
    relation: Relation  # the target table
    sql: str  # a query producing the model's new rows
    spec: ModelSpec
    exists: bool  # whether the target table exists already


@dataclass(frozen=True, slots=True)
class WriteStats:
    rows: int | None = None  # rows in the model's output
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None


def affected_rows(cursor: duckdb.DuckDBPyConnection) -> int:
    """The count DuckDB reports for the statement just executed (CTAS, INSERT, UPDATE, DELETE)."""
    row = cursor.fetchone()
    return int(row[0]) if row else 0
