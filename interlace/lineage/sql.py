"""Lineage of one SQL query, with sqlglot.

The query is qualified against the schema of the relations it reads (so ``SELECT *`` expands
against the live catalog and every column is tied to its source), then each output column is
traced through CTEs, subqueries and set operations down to base relations. Columns read in WHERE,
HAVING, QUALIFY, JOIN ... ON and GROUP BY are recorded as such, for the model as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
import sqlglot.expressions as exp
from sqlglot.errors import OptimizeError, ParseError, SchemaError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

__all__ = ["Edge", "LineageError", "sql_lineage"]


class LineageError(ValueError):
    """The query could not be analysed (the caller names the model)."""


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    column: str | None  # the output column; None for a read that shapes the whole result
    source: str  # the relation (model or table name as written, or a file path) read
    source_column: str
    kind: str  # value | filter | join | group


def sql_lineage(sql: str, schema: Mapping[str, Mapping[str, str]]) -> list[Edge]:
    """Every edge of ``sql``; ``schema`` maps relation names (as written) to {column: type}."""
    try:
        expression = sqlglot.parse_one(sql, dialect="duckdb")
        qualified = qualify(expression, schema=_nested(schema), dialect="duckdb",
                            validate_qualify_columns=False, quote_identifiers=False)
    except (ParseError, OptimizeError, SchemaError) as exc:
        raise LineageError(str(exc)) from None
    root = build_scope(qualified)
    if root is None:
        return []
    edges: set[Edge] = set()
    for name, projection, scope in _outputs(root):
        for source, column in _trace(projection, scope):
            edges.add(Edge(name, source, column, "value"))
    for scope in root.traverse():
        for kind, clause in _clauses(scope):
            for col in clause.find_all(exp.Column):
                for source, column in _trace_column(col, scope):
                    edges.add(Edge(None, source, column, kind))
    return sorted(edges, key=lambda e: (e.column or "", e.source, e.source_column, e.kind))


def _nested(schema: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """``schema`` as sqlglot reads it. sqlglot takes ``catalog.db.table`` names as nested mappings,
    not as dotted keys: a flat ``{"dev.main.stg": ...}`` (what an ibis expression compiles to reads)
    matches no table, so ``SELECT *`` stays unexpanded. Names of one depth are nested; names of mixed
    depths (``stg`` next to ``raw.orders``) stay flat, as sqlglot cannot mix depths."""
    known = {name: dict(columns) for name, columns in schema.items() if columns}
    depths = {len(name.split(".")) for name in known}
    if len(depths) != 1 or depths == {1}:
        return known
    nested: dict[str, Any] = {}
    for name, columns in known.items():
        *parents, table = name.split(".")
        level = nested
        for part in parents:
            level = level.setdefault(part, {})
        level[table] = columns
    return nested


def _outputs(scope: Scope) -> Iterator[tuple[str, Any, Scope]]:
    """(output name, projection, its scope) of a scope; for a set operation, every branch's."""
    if scope.set_operation_scopes:
        names = [s.alias_or_name for s in _first_select(scope.expression).selects]
        for branch in scope.set_operation_scopes:
            for name, (_, projection, inner) in zip(names, _outputs(branch), strict=False):
                yield name, projection, inner
        return
    select = scope.expression
    if isinstance(select, exp.Select):
        for projection in select.selects:
            yield projection.alias_or_name, projection, scope


def _first_select(expression: Any) -> exp.Select:
    while isinstance(expression, exp.SetOperation):
        expression = expression.this
    assert isinstance(expression, exp.Select)
    return expression


def _trace(expression: exp.Expression, scope: Scope) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for col in expression.find_all(exp.Column):
        found |= _trace_column(col, scope)
    for star in expression.find_all(exp.Star):  # SELECT * left unexpanded: no schema for a source
        if isinstance(star.parent, exp.Select | exp.Column) or star is expression:
            for name, source in scope.selected_sources.items():
                found.add((_source_name(source[1] if isinstance(source, tuple) else source, name), "*"))
    return found


def _trace_column(col: exp.Column, scope: Scope) -> set[tuple[str, str]]:
    alias = col.table
    source = scope.sources.get(alias) if alias else None
    if source is None and not alias and len(scope.sources) == 1:
        source = next(iter(scope.sources.values()))
    if source is None:
        for sub in scope.subquery_scopes:  # a column inside a scalar subquery of a projection
            if alias in sub.sources and col.find_ancestor(exp.Select) is sub.expression:
                return _trace_column(col, sub)
        outer = scope.parent  # a correlated reference to the enclosing query
        return _trace_column(col, outer) if outer is not None and alias in outer.sources else set()
    if isinstance(source, Scope):
        found: set[tuple[str, str]] = set()
        for name, projection, inner in _outputs(source):
            if name == col.name or isinstance(projection, exp.Star):
                found |= _trace(projection, inner)
        return found
    return {(_source_name(source, alias), col.name)}


def _source_name(source: Any, alias: str) -> str:
    if isinstance(source, exp.Table):
        if isinstance(source.this, exp.Identifier):
            return ".".join(p for p in (source.catalog, source.db, source.name) if p)
        literals = [lit.this for lit in source.this.find_all(exp.Literal) if lit.is_string]
        return literals[0] if literals else source.this.sql(dialect="duckdb")
    return alias


def _clauses(scope: Scope) -> Iterator[tuple[str, exp.Expression]]:
    select = scope.expression
    if not isinstance(select, exp.Select):
        return
    for key, kind in (("where", "filter"), ("having", "filter"), ("qualify", "filter"), ("group", "group")):
        clause = select.args.get(key)
        if clause is not None:
            yield kind, clause
    for join in select.args.get("joins") or []:
        on = join.args.get("on")
        if on is not None:
            yield "join", on
        for using in join.args.get("using") or []:
            name = using.name
            for alias in scope.selected_sources:
                yield "join", exp.column(name, table=alias)
