"""Build one model: produce its rows (SQL or Python), write them with its materialization and
strategy, and record the outcome — all in one transaction, so a failure leaves nothing behind."""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from interlace.engine.compile import compile_sql, memory_name
from interlace.engine.engine import Engine
from interlace.engine.output import Output, UnsupportedResult, to_output
from interlace.engine.relation import Relation, quote
from interlace.engine.strategies import STRATEGIES, WriteRequest, WriteStats
from interlace.errors import ExecutionError, InterlaceError, InternalError
from interlace.planner.plan import Step, is_in_memory, is_inlined, upstream_through_inlined
from interlace.project.discovery import user_traceback
from interlace.project.spec import ModelSpec
from interlace.state.store import ModelRunRecord, StateStore

__all__ = ["BuildContext", "BuildOutcome", "Cancelled", "build_model", "is_persisted", "wrap_error"]


class Cancelled(Exception):
    """The run was cancelled while this model was being built."""


@dataclass
class BuildContext:
    spec: ModelSpec
    step: Step
    relation: Relation
    engine: Engine
    state: StateStore
    cursor: duckdb.DuckDBPyConnection
    run_id: str
    models: Mapping[str, ModelSpec]
    upstream: Mapping[str, tuple[str, ...]]
    relation_of: Callable[[ModelSpec], Relation]
    default_schema: str
    memory: dict[str, pa.Table]  # results that live only during the run, by model
    ibis_backend: Callable[[], Any]  # the ibis backend over this thread's cursor (made on demand)
    is_cancelled: Callable[[], bool]
    existing: str | None  # 'table', 'view' or None: the target as it was when the run was planned
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    stats: WriteStats
    finished_at: datetime
    duration_ms: float


def build_model(ctx: BuildContext) -> BuildOutcome:
    """Build ``ctx.spec``; raise an :class:`InterlaceError` (or :class:`Cancelled`) on failure."""
    clock = time.perf_counter()
    memory_inputs = [u for u in upstream_through_inlined(ctx.spec.name, ctx.models, ctx.upstream) if is_in_memory(ctx.models[u])]
    with _registered(ctx.cursor, {memory_name(u): ctx.memory[u] for u in memory_inputs if u in ctx.memory}):
        output = _produce(ctx)
        if ctx.is_cancelled():
            raise Cancelled
        with _registered(ctx.cursor, {_source_name(ctx.spec): output.data} if output.data is not None else {}):
            sql = output.sql or (f"SELECT * FROM {quote(_source_name(ctx.spec))}" if output.data is not None else None)
            if sql is not None:
                sql = _shape(ctx, sql)
            with ctx.engine.transaction(ctx.cursor):
                stats = MATERIALIZATIONS[ctx.spec.materialize](ctx, sql, output)
                if ctx.is_cancelled():
                    raise Cancelled
                return _record_success(ctx, stats, clock)


# -- producing rows ------------------------------------------------------------------------------

def _produce(ctx: BuildContext) -> Output:
    spec = ctx.spec
    if spec.kind == "sql":
        return Output(sql=compile_sql(spec, models=ctx.models, upstream=ctx.upstream,
                                      relation_of=ctx.relation_of, default_schema=ctx.default_schema))
    assert spec.func is not None
    backend = ctx.ibis_backend()
    inputs = {param: _ibis_input(ctx, backend, dep) for param, dep in _parameters(spec)}
    try:
        result = spec.func(**inputs)
    except Exception as exc:
        raise ExecutionError(
            f"the Python model raised {type(exc).__name__}: {exc}",
            model=spec.name, origin=str(spec.origin), details=user_traceback(exc),
            hint="fix the error in the model function (the traceback above shows your code only)",
        ) from exc
    try:
        return to_output(result, backend=backend)
    except UnsupportedResult as exc:
        raise ExecutionError(str(exc), model=spec.name, origin=str(spec.origin),
                             hint="convert the result to one of the supported types") from None


def _parameters(spec: ModelSpec) -> list[tuple[str, str]]:
    """(function parameter, dependency it receives) pairs of a Python model."""
    deps = spec.dependencies
    by_last = {d.split(".")[-1]: d for d in deps}
    return [(p, by_last.get(p, p)) for p in spec.inferred_dependencies]


def _ibis_input(ctx: BuildContext, backend: Any, ref: str) -> Any:
    import ibis

    spec = ctx.models.get(ref.split(".")[-1])
    if spec is not None and ref.split(".")[-1] in ctx.upstream.get(ctx.spec.name, ()):
        if is_inlined(spec):
            return backend.sql(compile_sql(spec, models=ctx.models, upstream=ctx.upstream,
                                           relation_of=ctx.relation_of, default_schema=ctx.default_schema))
        if is_in_memory(spec):
            return ibis.memtable(ctx.memory[spec.name])
        relation = ctx.relation_of(spec)
        return backend.table(relation.name, database=(relation.catalog or ctx.engine.database, relation.schema))
    parts = ref.split(".")
    if len(parts) == 1:
        return backend.table(parts[0])
    if len(parts) == 2:
        return backend.table(parts[1], database=parts[0])
    return backend.table(parts[2], database=(parts[0], parts[1]))


def _shape(ctx: BuildContext, sql: str) -> str:
    """Apply ``column_mapping`` (renames), ``fields`` (casts) and ``strict`` to the output."""
    config = ctx.spec.config
    if not config.column_mapping and not config.fields:
        return sql
    columns = [row[0] for row in ctx.cursor.execute(f"DESCRIBE {sql}").fetchall()]
    mapping = dict(config.column_mapping or {})
    missing = [c for c in mapping if c not in columns]
    if missing:
        raise ExecutionError(
            f"column_mapping renames {', '.join(missing)}, which the output does not have",
            model=ctx.spec.name, origin=str(ctx.spec.origin),
            details=f"output columns: {', '.join(columns)}", hint="correct column_mapping=",
        )
    if mapping:
        renames = ", ".join(f"{quote(a)} AS {quote(b)}" for a, b in mapping.items())
        sql = f"SELECT * RENAME ({renames}) FROM ({sql})"
        columns = [mapping.get(c, c) for c in columns]
    fields = dict(config.fields or {})
    if fields:
        absent = [c for c in fields if c not in columns]
        extra = [c for c in columns if c not in fields] if config.strict else []
        if absent or extra:
            raise ExecutionError(
                "the output does not match fields=: "
                + "; ".join(p for p in (absent and f"missing {', '.join(absent)}",
                                        extra and f"not declared (strict=True) {', '.join(extra)}") if p),
                model=ctx.spec.name, origin=str(ctx.spec.origin),
                details=f"output columns: {', '.join(columns)}",
                hint="make the model produce exactly the declared fields, or change fields=",
            )
        casts = ", ".join(f"CAST({quote(c)} AS {t}) AS {quote(c)}" for c, t in fields.items())
        sql = f"SELECT * REPLACE ({casts}) FROM ({sql})"
    return sql


# -- materializations ----------------------------------------------------------------------------

def _table(ctx: BuildContext, sql: str | None, output: Output) -> WriteStats:
    strategy = STRATEGIES.get(ctx.spec.strategy)
    if strategy is None:
        raise ExecutionError(
            f"strategy '{ctx.spec.strategy}' is not available in this version of interlace",
            model=ctx.spec.name, origin=str(ctx.spec.origin),
            hint=f"use one of: {', '.join(STRATEGIES)}",
        )
    if sql is None:
        if ctx.spec.strategy == "none":
            return WriteStats()
        raise ExecutionError(
            "returned None, but materialize='table' needs rows",
            model=ctx.spec.name, origin=str(ctx.spec.origin),
            hint="return data, or declare materialize='none' for a model run for its side effects",
        )
    kind = _prepare_target(ctx, "table")
    return strategy(WriteRequest(ctx.cursor, ctx.relation, sql, ctx.spec, exists=kind == "table"))


def _view(ctx: BuildContext, sql: str | None, output: Output) -> WriteStats:
    memory = [u for u in upstream_through_inlined(ctx.spec.name, ctx.models, ctx.upstream) if is_in_memory(ctx.models[u])]
    if output.sql is None or memory:
        raise ExecutionError(
            "a view must be defined by a query over persisted tables"
            + (f", but it reads the in-memory result of {', '.join(memory)}" if memory
               else ", but this Python model returned data rather than an ibis expression"),
            model=ctx.spec.name, origin=str(ctx.spec.origin),
            hint="use materialize='table'" + ("" if memory else ", or return an ibis expression"),
        )
    _prepare_target(ctx, "view")
    ctx.cursor.execute(f"CREATE OR REPLACE VIEW {ctx.relation.sql} AS {sql}")
    return WriteStats()


def _in_memory(ctx: BuildContext, sql: str | None, output: Output) -> WriteStats:
    """Ephemeral Python models and ``materialize='none'``: keep the result for readers in this run."""
    if ctx.spec.kind == "sql" and ctx.spec.materialize == "none":
        last = None
        for statement in _statements(sql or ""):
            last = ctx.cursor.execute(statement)
        table = last.to_arrow_table() if last is not None and last.description else None
    elif output.data is not None:
        table = output.data.read_all() if isinstance(output.data, pa.RecordBatchReader) else output.data
    elif sql is not None:
        table = ctx.cursor.execute(sql).to_arrow_table()
    else:
        table = None
    if table is not None:
        ctx.memory[ctx.spec.name] = table
        return WriteStats(rows=table.num_rows)
    return WriteStats()


MATERIALIZATIONS: dict[str, Callable[[BuildContext, str | None, Output], WriteStats]] = {
    "table": _table,
    "view": _view,
    "ephemeral": _in_memory,
    "none": _in_memory,
}


def _prepare_target(ctx: BuildContext, wanted: str) -> str | None:
    """Create the schema; drop an object of the other kind (a view that becomes a table)."""
    relation = ctx.relation
    kind = ctx.existing
    if kind is None and relation.schema != "main":
        prefix = f"{quote(relation.catalog)}." if relation.catalog else ""
        ctx.cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {prefix}{quote(relation.schema)}")
    if kind is not None and kind != wanted:
        ctx.cursor.execute(f"DROP {kind.upper()} {relation.sql}")
        return None
    return kind


# -- recording -----------------------------------------------------------------------------------

def _record_success(ctx: BuildContext, stats: WriteStats, clock: float) -> BuildOutcome:
    """Append the model's run record inside its write transaction (data and record commit together).

    The catalogue and schema history are refreshed for all models at once when the run ends.
    """
    spec = ctx.spec
    finished = datetime.now(UTC)
    duration_ms = (time.perf_counter() - clock) * 1000
    ctx.state.record_model_run(ModelRunRecord(
        run_id=ctx.run_id, model=spec.name, status="success", action=ctx.step.action, reason=ctx.step.reason,
        relation=str(ctx.relation) if is_persisted(spec) else None, started_at=ctx.started_at,
        finished_at=finished, duration_ms=duration_ms, rows_affected=stats.rows, inserted=stats.inserted,
        updated=stats.updated, deleted=stats.deleted,
    ), cursor=ctx.cursor)
    return BuildOutcome(stats, finished, duration_ms)


def is_persisted(spec: ModelSpec) -> bool:
    """Whether building ``spec`` leaves a table or view in the warehouse."""
    return spec.materialize in ("table", "view") and spec.strategy != "none"


# -- helpers -------------------------------------------------------------------------------------

def _source_name(spec: ModelSpec) -> str:
    return f"__interlace_src_{spec.name}"


@contextlib.contextmanager
def _registered(cursor: duckdb.DuckDBPyConnection, data: Mapping[str, Any]) -> Iterator[None]:
    for name, value in data.items():
        cursor.register(name, value)
    try:
        yield
    finally:
        for name in data:
            with contextlib.suppress(duckdb.Error):
                cursor.unregister(name)


def _statements(sql: str) -> list[str]:
    import sqlglot

    return [s.sql(dialect="duckdb") for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]


def wrap_error(exc: BaseException, spec: ModelSpec, sql: str | None = None) -> InterlaceError:
    """Any failure while building ``spec`` as an :class:`InterlaceError` naming the model."""
    if isinstance(exc, InterlaceError):
        if exc.model is None:
            exc.model, exc.origin = spec.name, exc.origin or str(spec.origin)
        return exc
    if isinstance(exc, duckdb.Error):
        return ExecutionError(
            f"DuckDB error: {exc}", model=spec.name, origin=str(spec.origin), sql=sql or spec.sql,
            hint="fix the model's SQL (the message above is DuckDB's)" if spec.kind == "sql"
            else "fix the query your model builds (the message above is DuckDB's)",
        )
    return InternalError(
        f"unexpected {type(exc).__name__} while building the model: {exc}",
        model=spec.name, origin=str(spec.origin),
        details="".join(traceback.format_exception(exc)).rstrip(),
        hint="this is a bug in interlace; please report it with the traceback above",
    )
