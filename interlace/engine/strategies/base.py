"""The values passed to and returned from a write strategy, and checks strategies share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from interlace.engine.relation import Relation, quote
from interlace.errors import ExecutionError
from interlace.project.spec import ModelSpec

__all__ = ["WriteRequest", "WriteStats", "affected_rows", "check_keys"]


@dataclass(frozen=True, slots=True)
class WriteRequest:
    cursor: duckdb.DuckDBPyConnection  # inside the model's open transaction
    relation: Relation  # the target table
    sql: str  # a query producing the model's new rows
    spec: ModelSpec
    exists: bool  # whether the target table exists already
    params: Mapping[str, Any] = field(default_factory=dict)  # named parameters of ``sql``
    source_columns: Sequence[tuple[str, str]] = ()  # the output's (column, type), when known
    now: datetime | None = None  # the run's timestamp (soft deletes, SCD2 validity)

    def execute(self, statement: str, extra: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
        """Run a statement that embeds ``sql``, with its parameters (and ``extra`` ones)."""
        params = {k: v for k, v in {**self.params, **(extra or {})}.items() if f"${k}" in statement}
        return self.cursor.execute(statement, params) if params else self.cursor.execute(statement)


@dataclass(frozen=True, slots=True)
class WriteStats:
    rows: int | None = None  # rows in the model's output
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None
    result: Any = None  # a pyarrow Table the run keeps for readers and previews (strategy 'none')


def affected_rows(cursor: duckdb.DuckDBPyConnection) -> int:
    """The count DuckDB reports for the statement just executed (CTAS, INSERT, UPDATE, DELETE)."""
    rows = cursor.fetchall()  # to the end: an unfinished result keeps its transaction open
    return int(rows[0][0]) if rows else 0


def check_keys(request: WriteRequest, source: str) -> None:
    """The primary key must be in the output, never NULL, and unique — checked before writing.

    ``source`` is a relation or parenthesised query holding the output.
    """
    spec = request.spec
    keys = spec.config.primary_key
    names = {c.lower() for c, _ in request.source_columns}
    missing = [k for k in keys if k.lower() not in names]
    if missing:
        raise ExecutionError(
            f"primary_key column(s) {', '.join(missing)} are not in the model's output",
            model=spec.name, origin=str(spec.origin),
            details=f"output columns: {', '.join(c for c, _ in request.source_columns)}",
            hint="produce the key column(s), or correct primary_key=",
        )
    cols = ", ".join(quote(k) for k in keys)
    any_null = " OR ".join(f"{quote(k)} IS NULL" for k in keys)
    row = request.execute(
        f"WITH g AS (SELECT {cols}, count(*) AS n FROM {source} GROUP BY ALL) "
        f"SELECT (SELECT coalesce(sum(n), 0) FROM g WHERE {any_null}), "
        f"(SELECT count(*) FROM g WHERE n > 1 AND NOT ({any_null})), "
        f"(SELECT list(x) FROM (SELECT CAST(row({cols}) AS VARCHAR) || ' x' || n AS x FROM g "
        f"WHERE n > 1 AND NOT ({any_null}) ORDER BY n DESC, {cols} LIMIT 5))"
    ).fetchall()[0]
    nulls, duplicated, examples = row
    if nulls:
        raise ExecutionError(
            f"{nulls} output row(s) have a NULL in the primary key ({', '.join(keys)}); nothing was written",
            model=spec.name, origin=str(spec.origin),
            hint="filter or fill the NULL keys in the model (WHERE key IS NOT NULL)",
        )
    if duplicated:
        raise ExecutionError(
            f"{duplicated} primary key value(s) appear more than once in the output "
            f"({', '.join(keys)}); nothing was written",
            model=spec.name, origin=str(spec.origin),
            details="duplicates (key x count): " + ", ".join(examples or []),
            hint="make the key unique in the model (e.g. keep the latest row per key with QUALIFY "
            "row_number() OVER (PARTITION BY key ORDER BY updated_at DESC) = 1)",
        )
