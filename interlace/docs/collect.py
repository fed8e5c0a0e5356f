"""What the site shows, read once from the Workspace's typed methods and grouped per model.

Bulk reads (model runs, quality results, the catalogue, lineage) are made once per build and
grouped here, so a project of 10,000 models costs a handful of queries plus never one query per model.
"""

from __future__ import annotations

import inspect
import json
import textwrap
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interlace.lineage.descriptions import ColumnDescription, column_descriptions
from interlace.project.spec import ModelSpec
from interlace.state.store import ModelRunRecord, QualityRecord, RunRecord, SchemaVersion

__all__ = ["ColumnDoc", "LineageEdge", "ModelDoc", "SiteData", "collect", "definition_of"]

RUNS_PER_MODEL = 10
QUALITY_PER_CHECK = 10
RUN_HISTORY = 200


@dataclass(frozen=True, slots=True)
class LineageEdge:
    model: str
    column: str
    kind: str


@dataclass(frozen=True, slots=True)
class ColumnDoc:
    name: str
    type: str | None
    description: str | None
    inherited_from: tuple[str, str] | None
    upstream: tuple[LineageEdge, ...] = ()
    downstream: tuple[LineageEdge, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelDoc:
    """Everything one model page shows."""

    spec: ModelSpec
    relation: str
    columns: tuple[ColumnDoc, ...]
    upstream: tuple[str, ...]
    downstream: tuple[str, ...]
    sources: tuple[str, ...]
    definition: str
    language: str
    runs: tuple[ModelRunRecord, ...]
    quality: tuple[tuple[QualityRecord, tuple[QualityRecord, ...]], ...]  # (latest, history) per check
    schema: tuple[SchemaVersion, ...]
    shapes: tuple[str, ...]  # columns read in filters, joins and groupings: "model.column (kind)"
    last_success: str | None

    @property
    def undocumented(self) -> tuple[str, ...]:
        """What the page lacks: 'description' and/or 'columns' (descriptions of its columns)."""
        lacks = [] if self.spec.config.description else ["description"]
        if not any(c.description for c in self.columns):
            lacks.append("column descriptions")
        return tuple(lacks)


@dataclass(frozen=True, slots=True)
class SiteData:
    name: str
    env: str
    models: dict[str, ModelDoc]
    all_models: int
    runs: tuple[RunRecord, ...]
    upstream: Mapping[str, Sequence[str]]
    downstream: Mapping[str, Sequence[str]]
    order: Mapping[str, int]  # each model's position in the topological order
    failing: tuple[QualityRecord, ...] = field(default_factory=tuple)


def collect(ws: Any, selector: tuple[str, ...] = ()) -> SiteData:
    """Read the project, its lineage and its history from ``ws`` (a :class:`Workspace`)."""
    models = ws.models
    graph = ws.graph()
    chosen = ws.select(selector or None, graph=graph) if selector else set(models)
    lineage = ws.lineage()
    catalog = ws.catalog()
    own = {name: dict(spec.config.columns or {}) for name, spec in models.items()}
    described = column_descriptions(own, graph.order, lineage.edges)
    ups, downs, shapes = _edges_by_column(lineage.edges)
    lineage_columns: dict[str, list[str]] = defaultdict(list)
    for model, column in ups:
        lineage_columns[model].append(column)
    runs = _group(ws.model_runs(limit=max(1000, RUNS_PER_MODEL * len(chosen))), RUNS_PER_MODEL)
    quality = _quality(ws.quality_results(latest=False, limit=max(500, 20 * len(chosen))))
    schemas = ws.schema_histories()
    docs: dict[str, ModelDoc] = {}
    for name in graph.order:
        if name not in chosen:
            continue
        spec = models[name]
        record = catalog.get(name)
        types = _types(record.columns if record else None)
        column_names = list(types) or sorted(set(lineage_columns.get(name, ())) | set(own[name]))
        extra = [c for c in own[name] if types and c not in types]  # described, not in the table
        definition, language = definition_of(spec)
        docs[name] = ModelDoc(
            spec=spec, relation=str(ws.project.relation(spec)),
            columns=tuple(_column(name, c, types.get(c), described.get(name, {}).get(c), ups, downs)
                          for c in [*column_names, *extra]),
            upstream=tuple(graph.upstream.get(name, ())), downstream=tuple(graph.downstream.get(name, ())),
            sources=tuple(graph.sources.get(name, ())), definition=definition, language=language,
            runs=tuple(runs.get(name, ())), quality=tuple(quality.get(name, ())),
            schema=tuple(schemas.get(name, ())), shapes=tuple(shapes.get(name, ())),
            last_success=str(record.last_success_at) if record and record.last_success_at else None,
        )
    failing = tuple(latest for checks in quality.values() for latest, _ in checks
                    if latest.status != "pass")
    return SiteData(
        name=ws.loaded.config.name or ws.root.name, env=ws.env, models=docs, all_models=len(models),
        runs=tuple(ws.runs.history(RUN_HISTORY)), upstream=graph.upstream, downstream=graph.downstream,
        order={name: i for i, name in enumerate(graph.order)},
        failing=failing,
    )


def definition_of(spec: ModelSpec) -> tuple[str, str]:
    """(source text, language): a SQL model's SQL, or a Python model's function with its decorator."""
    if spec.kind == "sql":
        return spec.sql or spec.source, "sql"
    if spec.func is not None:
        try:
            return textwrap.dedent(inspect.getsource(spec.func)).rstrip(), "python"
        except (OSError, TypeError):
            pass
    return spec.source, "python"


def _types(columns: str | None) -> dict[str, str]:
    if not columns:
        return {}
    return {str(name): str(kind) for name, kind in json.loads(columns)}


def _column(model: str, column: str, kind: str | None, description: ColumnDescription | None,
            ups: Mapping[tuple[str, str], list[LineageEdge]],
            downs: Mapping[tuple[str, str], list[LineageEdge]]) -> ColumnDoc:
    upstream = ups.get((model, column)) or [  # SELECT * (or a Python filter): the same column upstream
        LineageEdge(e.model, column if e.column == "*" else e.column, e.kind) for e in ups.get((model, "*"), ())]
    return ColumnDoc(
        name=column, type=kind, description=description.text if description else None,
        inherited_from=description.inherited_from if description else None,
        upstream=tuple(upstream), downstream=tuple(downs.get((model, column), ())),
    )


def _edges_by_column(edges: Sequence[tuple[str, str | None, str, str, str]]) -> tuple[
        dict[tuple[str, str], list[LineageEdge]], dict[tuple[str, str], list[LineageEdge]], dict[str, list[str]]]:
    ups: dict[tuple[str, str], list[LineageEdge]] = defaultdict(list)
    downs: dict[tuple[str, str], list[LineageEdge]] = defaultdict(list)
    shapes: dict[str, list[str]] = defaultdict(list)
    for model, column, source, source_column, kind in edges:
        if column is None:
            shapes[model].append(f"{source}.{source_column} ({kind})")
            continue
        ups[(model, column)].append(LineageEdge(source, source_column, kind))
        downs[(source, source_column)].append(LineageEdge(model, column, kind))
    return ups, downs, shapes


def _group(records: Sequence[ModelRunRecord], keep: int) -> dict[str, list[ModelRunRecord]]:
    grouped: dict[str, list[ModelRunRecord]] = defaultdict(list)
    for record in records:  # newest first
        if len(grouped[record.model]) < keep:
            grouped[record.model].append(record)
    return grouped


def _quality(records: Sequence[QualityRecord]) -> dict[str, list[tuple[QualityRecord, tuple[QualityRecord, ...]]]]:
    checks: dict[tuple[str, str], list[QualityRecord]] = defaultdict(list)
    for record in records:  # newest first
        history = checks[(record.model, record.check_name)]
        if len(history) < QUALITY_PER_CHECK:
            history.append(record)
    out: dict[str, list[tuple[QualityRecord, tuple[QualityRecord, ...]]]] = defaultdict(list)
    for (model, _), history in sorted(checks.items()):
        out[model].append((history[0], tuple(history)))
    return out
