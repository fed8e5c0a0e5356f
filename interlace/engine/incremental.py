"""Cursor-based incremental models: filter inputs above the stored watermark, then advance it.

``cursor="updated_at"``: every input relation that has that column is read only above the
watermark (all of it on the first run); after a successful write the watermark moves to the
largest value the inputs hold — in the same transaction as the write, so a crash can never
move one without the other. A backfill window (``--since``/``--until``) reads
``since <= col < until`` and neither uses nor moves the watermark.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from interlace.engine.engine import Engine
from interlace.engine.relation import Relation, quote
from interlace.errors import ExecutionError
from interlace.kinds import is_in_memory, is_inlined
from interlace.project.spec import ModelSpec

__all__ = ["CursorFilter", "cursor_filter"]


@dataclass(frozen=True, slots=True)
class CursorFilter:
    column: str
    predicate: str | None  # SQL over the column with named parameters; None: read everything
    params: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Relation] = field(default_factory=dict)  # lower-cased reference -> relation
    backfill: bool = False

    def bounds(self) -> tuple[tuple[str, Any], ...]:
        """(operator, value) pairs of the predicate, for filtering ibis inputs."""
        ops = {"__interlace_since": ">=" if self.backfill else ">", "__interlace_until": "<"}
        return tuple((ops[k], v) for k, v in self.params.items())

    def advance(self, cursor: duckdb.DuckDBPyConnection) -> str | None:
        """The new watermark: the largest cursor value in the inputs (read inside the write's txn)."""
        col = quote(self.column)
        union = " UNION ALL ".join(f"SELECT max({col}) AS m FROM {r.sql}" for r in self.inputs.values())
        return cursor.execute(f"SELECT CAST(max(m) AS VARCHAR) FROM ({union})").fetchall()[0][0]


def cursor_filter(
    spec: ModelSpec,
    *,
    engine: Engine,
    cursor: duckdb.DuckDBPyConnection,
    models: Mapping[str, ModelSpec],
    relation_of: Callable[[ModelSpec], Relation],
    watermark: str | None,
    window: tuple[str | None, str | None],
) -> CursorFilter | None:
    """How to filter ``spec``'s inputs, or None for a model without ``cursor=``."""
    column = spec.config.cursor
    if not column:
        return None
    inputs: dict[str, Relation] = {}
    for ref in spec.dependencies:
        up = models.get(ref.split(".")[-1])
        if up is not None and (is_inlined(up) or is_in_memory(up)):
            continue
        relation = relation_of(up) if up is not None else _external(ref, engine)
        if column.lower() in {c.lower() for c, _ in engine.columns(relation, cursor)}:
            inputs[ref.lower()] = relation
    if not inputs:
        raise ExecutionError(
            f"cursor column '{column}' is in none of the model's input tables "
            f"({', '.join(spec.dependencies) or 'it reads no table'})",
            model=spec.name, origin=str(spec.origin),
            hint="name a column that an input table has (cursor='...'), or remove cursor=",
        )
    since, until = window
    col = quote(column)
    if since is not None or until is not None:
        parts, params = [], {}
        if since is not None:
            parts.append(f"{col} >= $__interlace_since")
            params["__interlace_since"] = since
        if until is not None:
            parts.append(f"{col} < $__interlace_until")
            params["__interlace_until"] = until
        return CursorFilter(column, " AND ".join(parts), params, inputs, backfill=True)
    if watermark is None:
        return CursorFilter(column, None, {}, inputs)
    return CursorFilter(column, f"{col} > $__interlace_since", {"__interlace_since": watermark}, inputs)


def _external(ref: str, engine: Engine) -> Relation:
    parts = ref.split(".")
    if len(parts) == 1:
        return Relation("main", parts[0])
    if len(parts) == 2:
        return Relation(parts[0], parts[1])
    return Relation(parts[1], parts[2], catalog=parts[0])
