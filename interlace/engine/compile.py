"""Turn a SQL model into the query the engine runs.

Most models run exactly as written. The SQL is rewritten (with sqlglot) only when it reads a model
that is not a plain table in the default schema: an ephemeral model (inlined as a subquery), a
result that lives in memory during the run, or a model in another schema or database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
import sqlglot.expressions as exp

from interlace.engine.relation import Relation
from interlace.kinds import is_in_memory, is_inlined
from interlace.project.dependencies import table_reference
from interlace.project.spec import ModelSpec

__all__ = ["Resolved", "compile_sql", "memory_name"]


@dataclass(frozen=True, slots=True)
class Resolved:
    """A project resolved against its graph: what compiling a model's SQL needs, made once and
    handed down (instead of the same four values passed through every layer)."""

    models: Mapping[str, ModelSpec]
    upstream: Mapping[str, tuple[str, ...]]
    relation_of: Callable[[ModelSpec], Relation]
    default_schema: str

    def sql(self, spec: ModelSpec, *, rewrite: bool = True) -> str:
        """``spec``'s runnable SQL; ``rewrite=False`` keeps model references as written (lineage)."""
        return compile_sql(spec, models=self.models, upstream=self.upstream if rewrite else {},
                           relation_of=self.relation_of, default_schema=self.default_schema)

    def model_name(self, source: str) -> str:
        """A reference as a model name when it names a model, else as written."""
        last = source.split(".")[-1]
        return last if last in self.models else source


def memory_name(model: str) -> str:
    """The name under which an in-memory result is registered on a cursor."""
    return f"__interlace_mem_{model}"


def compile_sql(
    spec: ModelSpec,
    *,
    models: Mapping[str, ModelSpec],
    upstream: Mapping[str, tuple[str, ...]],
    relation_of: Callable[[ModelSpec], Relation],
    default_schema: str,
    filters: Mapping[str, str] | None = None,
) -> str:
    """The runnable SQL of ``spec`` (a SQL model).

    ``filters`` maps lower-cased references (as written in the SQL) to a predicate that every
    row read through that reference must satisfy (an incremental model's cursor window).
    """
    assert spec.sql is not None
    filters = filters or {}
    ups = [models[u] for u in upstream.get(spec.name, ())]
    if not filters and not any(_needs_rewrite(u, relation_of(u), default_schema) for u in ups):
        return spec.sql
    by_name = {u.name.lower(): u for u in ups}
    statements = sqlglot.parse(spec.sql, dialect="duckdb")
    out = []
    for statement in statements:
        if statement is None:
            continue
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in list(statement.find_all(exp.Table)):
            if not isinstance(table.this, exp.Identifier):
                continue
            if not table.db and table.name.lower() in ctes:
                continue
            predicate = filters.get(table_reference(table).lower())
            target = by_name.get(table.name.lower())
            if target is not None and table.db and table.db.lower() != (target.config.schema or default_schema).lower():
                target = None
            if target is None:
                if predicate:
                    table.replace(_filtered(table.copy(), predicate, table.alias or table.name))
                continue
            replacement = _replacement(table, target, models=models, upstream=upstream,
                                       relation_of=relation_of, default_schema=default_schema)
            if predicate:
                replacement = _filtered(replacement, predicate, table.alias or target.name)
            table.replace(replacement)
        out.append(statement.sql(dialect="duckdb"))
    return ";\n".join(out)


def _filtered(source: exp.Expression, predicate: str, alias: str) -> exp.Expression:
    """``(SELECT * FROM source WHERE predicate) AS alias``."""
    source.set("alias", None)
    inner: Any = source.this if isinstance(source, exp.Subquery) else source
    query = exp.select("*").from_(inner.subquery("__interlace_in") if isinstance(source, exp.Subquery) else inner)
    query = query.where(sqlglot.parse_one(predicate, dialect="duckdb"))
    return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _needs_rewrite(up: ModelSpec, relation: Relation, default_schema: str) -> bool:
    return is_inlined(up) or is_in_memory(up) or relation.schema != default_schema or relation.catalog is not None


def _replacement(table: exp.Table, target: ModelSpec, **context: object) -> exp.Expression:
    alias = table.alias or target.name
    if is_inlined(target):
        inner = compile_sql(target, **context)  # type: ignore[arg-type]
        return exp.Subquery(this=sqlglot.parse_one(inner, dialect="duckdb"),
                            alias=exp.TableAlias(this=exp.to_identifier(alias)))
    if is_in_memory(target):
        name = memory_name(target.name)
        return exp.Table(this=exp.to_identifier(name, quoted=True),
                         alias=exp.TableAlias(this=exp.to_identifier(alias)))
    relation: Relation = context["relation_of"](target)  # type: ignore[operator]
    return exp.Table(
        this=exp.to_identifier(relation.name, quoted=True),
        db=exp.to_identifier(relation.schema, quoted=True),
        catalog=exp.to_identifier(relation.catalog, quoted=True) if relation.catalog else None,
        alias=exp.TableAlias(this=exp.to_identifier(alias)),
    )
