"""Column-level lineage: which upstream columns each output column is computed from, and which
columns a model reads to filter, join or group. Pure functions over SQL and a schema.

Core: imports no IPython, widgets, Panel, papermill or FastAPI. The SQL analysis (sqlglot) loads
on first use, so reading stored lineage (``interlace lineage show``) does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlace.lineage.graph import LineageGraph
    from interlace.lineage.sql import Edge, sql_lineage

__all__ = ["Edge", "LineageGraph", "sql_lineage"]


def __getattr__(name: str) -> Any:
    if name == "LineageGraph":
        from interlace.lineage.graph import LineageGraph

        return LineageGraph
    if name in ("Edge", "sql_lineage"):
        from interlace.lineage import sql

        return getattr(sql, name)
    raise AttributeError(f"module 'interlace.lineage' has no attribute {name!r}")
