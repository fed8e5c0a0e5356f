"""Column lineage of a whole project: stored edges, brought up to date for edited SQL models.

SQL models are analysed (with sqlglot, against the live catalog) when their fingerprint differs
from the one their stored lineage was computed for; Python models' lineage is recorded at build
time. :func:`project_lineage` computes without writing — the caller stores the updates when its
warehouse is writable, so a read-only environment still answers lineage queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import duckdb

from interlace.engine.compile import Resolved
from interlace.engine.engine import Engine
from interlace.engine.relation import Relation
from interlace.kinds import is_inlined
from interlace.lineage.graph import LineageGraph
from interlace.lineage.sql import LineageError, sql_lineage

__all__ = ["LineageUpdate", "project_lineage"]

StoredEdge = tuple[str, str | None, str, str, str]  # (model, column, source, source column, kind)


@dataclass(frozen=True, slots=True)
class LineageUpdate:
    """The freshly analysed edges of one model: (column, source, source column, kind)."""

    model: str
    fingerprint: str | None
    edges: tuple[tuple[str | None, str, str, str], ...]


def project_lineage(
    resolved: Resolved,
    order: Iterable[str],
    fingerprints: Mapping[str, str],
    *,
    engine: Engine,
    stored_fingerprints: Mapping[str, str | None],
    stored_edges: Iterable[StoredEdge],
    resolve: Callable[[str], Relation | None],
    refresh: bool = False,
) -> tuple[LineageGraph, list[LineageUpdate]]:
    """The project's lineage graph, and the updates that bring the stored edges up to date."""
    updates: list[LineageUpdate] = []
    catalog: dict[tuple[str, str, str], list[tuple[str, str]]] | None = None
    for name in order:
        spec = resolved.models[name]
        fresh = name in stored_fingerprints and stored_fingerprints[name] == fingerprints.get(name)
        if spec.kind != "sql" or (fresh and not refresh):
            continue
        if catalog is None:  # one catalog scan for the whole analysis, not one DESCRIBE per input
            catalog = engine.all_columns()
        try:
            edges = sql_lineage(resolved.sql(spec, rewrite=False),
                                _schema_of(spec.dependencies, resolved, engine, resolve, catalog))
        except LineageError:
            edges = []  # SQL sqlglot cannot analyse: no lineage rather than wrong lineage
        updates.append(LineageUpdate(name, fingerprints.get(name), tuple(
            (e.column, resolved.model_name(e.source), e.source_column, e.kind) for e in edges)))
    replaced = {u.model for u in updates}
    kept: list[StoredEdge] = [e for e in stored_edges if e[0] not in replaced]
    kept += [(u.model, *edge) for u in updates for edge in u.edges]
    return LineageGraph(sorted(kept, key=lambda e: (e[0], e[1] or "", e[2], e[3]))), updates


def _schema_of(refs: tuple[str, ...], resolved: Resolved, engine: Engine,
               resolve: Callable[[str], Relation | None],
               catalog: Mapping[tuple[str, str, str], list[tuple[str, str]]]) -> dict[str, dict[str, str]]:
    """{reference: {column: type}} of what a model reads, for star expansion and qualification."""
    schema: dict[str, dict[str, str]] = {}
    for ref in refs:
        spec = resolved.models.get(ref.split(".")[-1])
        if spec is not None and is_inlined(spec):
            try:
                schema[ref] = dict(engine.describe(resolved.sql(spec)))
            except duckdb.Error:
                continue
            continue
        relation = resolved.relation_of(spec) if spec is not None else resolve(ref)
        if relation is not None:
            schema[ref] = dict(catalog.get(engine.key(relation), ()))
    return schema
