"""Read the workspace into plain values that both the API and the dashboard render.

Each function takes the workspace and only calls its public API; callers run them through
``Service.call`` (one thread at a time on the shared connection).
"""

from __future__ import annotations

import base64
import dataclasses
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from interlace.server.api.errors import ApiError

__all__ = ["jsonable", "model_detail", "model_summaries", "preview"]


def _summary(ws: Any, spec: Any, catalog: dict[str, dict[str, Any]]) -> dict[str, Any]:
    relation = ws.project.relation(spec)
    entry = catalog.get(spec.name) or {}
    return {
        "name": spec.name, "kind": spec.kind, "materialize": spec.materialize, "strategy": spec.strategy,
        "schema": relation.schema, "relation": str(relation), "tags": list(spec.tags),
        "description": spec.config.description, "owner": spec.config.owner, "origin": str(spec.origin),
        "last_success_at": entry.get("last_success_at"), "last_run_id": entry.get("last_run_id"),
    }


def model_summaries(ws: Any) -> list[dict[str, Any]]:
    """Every model, sorted by name, with where it lives and when it was last built."""
    catalog = {name: record.to_dict() for name, record in ws.catalog().items()}
    return [_summary(ws, spec, catalog) for _, spec in sorted(ws.models.items())]


def model_detail(ws: Any, name: str) -> dict[str, Any]:
    """One model: its definition, graph neighbours and current columns."""
    spec = ws.project.get(name)
    graph = ws.graph()
    entry = ws.catalog().get(name)
    out = _summary(ws, spec, {name: entry.to_dict() if entry else {}})
    out.update(
        upstream=list(graph.upstream[name]), downstream=list(graph.downstream[name]),
        sources=list(graph.sources[name]), dependencies=list(spec.dependencies),
        primary_key=list(spec.config.primary_key), schema_mode=spec.config.schema_mode,
        config={k: jsonable(v) for k, v in dataclasses.asdict(spec.config).items()},
        source=spec.source or spec.sql or "", columns=[list(c) for c in ws.columns(name)],
    )
    return out


def preview(ws: Any, name: str, limit: int) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """(columns, rows) of the first ``limit`` rows of a model's table or view, as JSON values."""
    spec = ws.project.get(name)
    if spec.materialize in ("ephemeral", "none"):
        raise ApiError("MODEL_NOT_MATERIALIZED", f"model '{name}' is {spec.materialize}: it has no table or view "
                       "to preview", {"model": name, "materialize": spec.materialize})
    columns = ws.columns(name)
    if not columns:
        raise ApiError("MODEL_NOT_BUILT", f"model '{name}' has not been built yet; start a run first "
                       f"(POST /api/v1/runs with select=['{name}'])", {"model": name})
    table = ws.table(name).limit(limit).to_pyarrow()
    return columns, [{k: jsonable(v) for k, v in row.items()} for row in table.to_pylist()]


def jsonable(value: Any) -> Any:
    """A value from the warehouse as JSON: exact decimals as text, bytes as base64, no NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)
