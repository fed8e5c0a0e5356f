"""Schema previews: how a model's columns would change if it were built now (``plan --diff``).

Reads the catalog and describes the model's compiled query; writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import duckdb

from interlace.engine.compile import Resolved
from interlace.engine.engine import Engine
from interlace.engine.schema_modes import ColumnChange, compare_columns
from interlace.kinds import is_persisted, system_columns
from interlace.lineage.graph import LineageGraph
from interlace.planner.plan import Step

__all__ = ["SchemaPreview", "schema_previews"]


@dataclass(frozen=True, slots=True)
class SchemaPreview:
    """How a model's columns would change if built now."""

    model: str
    changes: tuple[ColumnChange, ...]
    breaking: tuple[tuple[ColumnChange, tuple[str, ...]], ...]  # (change, downstream models reading it)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "note": self.note,
            "changes": [{"column": c.column, "kind": c.kind, "old_type": c.old_type, "new_type": c.new_type}
                        for c in self.changes],
            "breaking": [{"column": c.column, "kind": c.kind, "read_by": list(readers)}
                         for c, readers in self.breaking],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SchemaPreview:
        """The preview of :meth:`to_dict` again (a plan forwarded to the warehouse's owner)."""
        changes = tuple(ColumnChange(c["column"], c["kind"], c["old_type"], c["new_type"])
                        for c in data["changes"])
        found = {(c.column, c.kind): c for c in changes}
        breaking = tuple(
            (found.get((b["column"], b["kind"]))
             or ColumnChange(b["column"], b["kind"], None, None), tuple(b["read_by"]))
            for b in data["breaking"])
        return cls(data["model"], changes, breaking, data["note"])


def schema_previews(steps: Iterable[Step], resolved: Resolved, engine: Engine,
                    lineage: Callable[[], LineageGraph]) -> dict[str, SchemaPreview]:
    """For each built step with a table or view: its column changes, and which of them break a
    downstream model that reads the column (``lineage`` is asked only when a column is removed or
    retyped)."""
    graph: LineageGraph | None = None
    previews: dict[str, SchemaPreview] = {}
    for step in steps:
        spec = resolved.models[step.model]
        if step.action != "build" or not is_persisted(spec):
            continue
        relation = resolved.relation_of(spec)
        if spec.kind != "sql":
            previews[spec.name] = SchemaPreview(spec.name, (), (), "a Python model: its columns are known once built")
            continue
        if not engine.exists(relation):
            previews[spec.name] = SchemaPreview(spec.name, (), (), "new: its table does not exist yet")
            continue
        try:
            new = engine.describe(resolved.sql(spec))
        except duckdb.Error as exc:
            previews[spec.name] = SchemaPreview(spec.name, (), (), f"cannot tell: DuckDB says {exc}")
            continue
        hidden = system_columns(spec)
        old = [(c, t) for c, t in engine.columns(relation) if c.lower() not in hidden]
        changes = tuple(c for c in compare_columns(old, new) if c.kind != "narrowed")
        destructive = [c for c in changes if c.kind in ("removed", "retyped")]
        if destructive and graph is None:
            graph = lineage()
        breaking = tuple(
            (c, readers) for c in destructive
            if graph is not None and (readers := tuple(sorted(graph.readers(spec.name, c.column) - {spec.name})))
        )
        previews[spec.name] = SchemaPreview(spec.name, changes, breaking, "")
    return previews
