"""Build one model: produce its rows (SQL or Python), write them with its materialization and
strategy, and record the outcome — all in one transaction, so a failure leaves nothing behind."""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa

from interlace.engine.compile import compile_sql, memory_name
from interlace.engine.engine import Engine
from interlace.engine.incremental import CursorFilter, cursor_filter
from interlace.engine.lake import ChangesCursor, changes_cursor
from interlace.engine.output import Output
from interlace.engine.python_model import call_python_model
from interlace.engine.relation import Relation, quote
from interlace.engine.schema_modes import apply_schema_mode, compare_columns
from interlace.engine.strategies import WriteRequest, WriteStats
from interlace.errors import CheckFailedError, ExecutionError, InterlaceError, InternalError
from interlace.kinds import (
    STRATEGIES,
    is_in_memory,
    is_persisted,
    materialization_of,
    system_columns,
)
from interlace.lineage.sql import Edge, LineageError, sql_lineage
from interlace.planner.plan import Step, upstream_through_inlined
from interlace.project.dependencies import analyse_sql
from interlace.project.spec import ModelSpec
from interlace.quality.checks import Check
from interlace.quality.runner import CheckResult, run_checks
from interlace.state.store import ModelRunRecord, StateStore

__all__ = ["BUILDERS", "BuildContext", "BuildOutcome", "Cancelled", "build_grouped", "build_model", "check_model",
           "wrap_error"]


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
    window: tuple[str | None, str | None] = (None, None)  # --since / --until backfill
    now: datetime = field(default_factory=lambda: datetime.now(UTC))  # the run's timestamp
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    cursor_filter: CursorFilter | ChangesCursor | None = None  # set while building an incremental model
    checks: tuple[Check, ...] = ()  # quality checks run on the new data before it commits
    lineage: tuple[Edge, ...] | None = None  # a Python model's lineage, from its ibis expression
    resolve: Callable[[str], Relation | None] = lambda name: None  # a name in a check -> relation
    nulled: Mapping[str, int] = field(default_factory=dict)  # lenient casts: column -> values made NULL
    attempt: int = 1  # the try of this model in this run (retry_policy)


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    stats: WriteStats
    finished_at: datetime
    duration_ms: float
    checks: tuple[CheckResult, ...] = ()
    lineage: tuple[Edge, ...] | None = None
    nulled: Mapping[str, int] = field(default_factory=dict)  # schema_mode='lenient': column -> values made NULL


def build_model(ctx: BuildContext) -> BuildOutcome:
    """Build ``ctx.spec``; raise an :class:`InterlaceError` (or :class:`Cancelled`) on failure."""
    clock = time.perf_counter()
    spec = ctx.spec
    memory_inputs = [u for u in upstream_through_inlined(spec.name, ctx.models, ctx.upstream) if is_in_memory(ctx.models[u])]
    with _registered(ctx.cursor, {memory_name(u): ctx.memory[u] for u in memory_inputs if u in ctx.memory}):
        watermark = ctx.state.cursor_value(spec.name) if spec.config.cursor else None
        mark = watermark[1] if watermark and watermark[0] == spec.config.cursor else None
        ctx.cursor_filter = changes_cursor(  # table_changes(...) in a DuckLake (engine.lake)
            ctx.cursor, lake=ctx.engine.lake, sql=spec.sql, column=spec.config.cursor, watermark=mark,
            model=spec.name, origin=str(spec.origin),
        ) or cursor_filter(
            spec, engine=ctx.engine, cursor=ctx.cursor, models=ctx.models, relation_of=ctx.relation_of,
            watermark=mark, window=ctx.window,
        )
        output = _produce(ctx)
        if ctx.is_cancelled():
            raise Cancelled
        with _registered(ctx.cursor, {_source_name(spec): output.data} if output.data is not None else {}):
            sql = output.sql or (f"SELECT * FROM {quote(_source_name(spec))}" if output.data is not None else None)
            if sql is not None:
                sql = _shape(ctx, sql, output.params)
            elsewhere = ctx.relation.catalog not in (None, ctx.engine.database)
            with ctx.engine.transaction(ctx.cursor):
                stats = BUILDERS[spec.materialize](ctx, sql, output)
                checks = check_model(ctx.cursor, ctx.spec, ctx.relation, ctx.checks, ctx.resolve)
                if ctx.is_cancelled():
                    raise Cancelled
                if not elsewhere:
                    _advance_watermark(ctx)
                    outcome = _record_success(ctx, stats, clock, checks)
            if elsewhere:
                # A DuckDB transaction writes one database: data in another catalog (connection=)
                # commits there first, then its watermark and run record commit in the warehouse.
                with ctx.engine.transaction(ctx.cursor):
                    _advance_watermark(ctx)
                    outcome = _record_success(ctx, stats, clock, checks)
    if spec.config.export and is_persisted(spec):
        from interlace.engine.export import export_model

        export_model(ctx.cursor, spec, ctx.relation, ctx.engine.project_dir)
    return outcome


def check_model(cursor: duckdb.DuckDBPyConnection, spec: ModelSpec, relation: Relation,
                checks: tuple[Check, ...], resolve: Callable[[str], Relation | None]) -> tuple[CheckResult, ...]:
    """Run the model's checks; a blocking failure raises :class:`CheckFailedError` (inside a
    build's transaction, that rolls the new data back: failing data never lands)."""
    results = tuple(run_checks(cursor, relation, checks, resolve=resolve))
    blocking = [r for r in results if r.blocking]
    if blocking:
        lines = [f"  {r.check.name}: {r.message or r.status}" for r in blocking]
        raise CheckFailedError(
            f"{len(blocking)} quality check{'s' if len(blocking) != 1 else ''} of severity error failed; "
            "the new data was not written",
            model=spec.name, origin=str(spec.origin), details="\n".join(lines), results=list(results),
            hint="fix the data or the model (`interlace quality " + spec.name + "` shows failing rows), "
            "or set severity='warn' on the check",
        )
    return results


# -- producing rows ------------------------------------------------------------------------------

def _produce(ctx: BuildContext) -> Output:
    spec, filt = ctx.spec, ctx.cursor_filter
    if spec.kind == "python":
        output = call_python_model(ctx, filt if isinstance(filt, CursorFilter) else None)
        if output.sql is not None:
            ctx.lineage = _python_lineage(ctx, output.sql)
        return output
    filters = {ref: filt.predicate for ref in filt.inputs} if filt and filt.predicate else {}
    sql = compile_sql(spec, models=ctx.models, upstream=ctx.upstream, relation_of=ctx.relation_of,
                      default_schema=ctx.default_schema, filters=filters)
    if isinstance(filt, ChangesCursor):
        sql = filt.rewrite(sql, lambda name: _relation_named(ctx, name), model=spec.name, origin=str(spec.origin))
    return Output(sql=sql, params=dict(filt.params) if filters and filt else {})


def _relation_named(ctx: BuildContext, name: str) -> Relation:
    """A name in ``table_changes('...')``: a model's relation, else a table of the lake."""
    spec = ctx.models.get(name)
    if spec is not None:
        return ctx.relation_of(spec)
    parts = name.split(".")
    return Relation(parts[-2] if len(parts) > 1 else ctx.default_schema, parts[-1],
                    catalog=parts[-3] if len(parts) > 2 else ctx.engine.lake)


def _python_lineage(ctx: BuildContext, sql: str) -> tuple[Edge, ...]:
    """Lineage of the SQL a Python model's ibis expression compiled to (no user code is re-run)."""
    try:
        refs, _ = analyse_sql(sql, model=ctx.spec.name, path=str(ctx.spec.origin), first_line=1)
        schema = {}
        for ref in refs:
            parts = ref.split(".")
            relation = Relation(parts[-2] if len(parts) > 1 else "main", parts[-1],
                                catalog=parts[-3] if len(parts) > 2 and parts[-3] != ctx.engine.database else None)
            schema[ref] = dict(ctx.engine.columns(relation, ctx.cursor))
        return tuple(sql_lineage(sql, schema))
    except (InterlaceError, LineageError, duckdb.Error):
        return ()


def _advance_watermark(ctx: BuildContext) -> None:
    filt = ctx.cursor_filter
    if filt is None or filt.backfill:
        return
    value = filt.advance(ctx.cursor)
    if value is not None:
        ctx.state.set_cursor(ctx.spec.name, filt.column, value, cursor=ctx.cursor)


def _shape(ctx: BuildContext, sql: str, params: Mapping[str, Any]) -> str:
    """Apply ``column_mapping`` (renames), ``fields`` (casts) and ``strict`` to the output."""
    config = ctx.spec.config
    if not config.column_mapping and not config.fields:
        return sql
    columns = [c for c, _ in _describe(ctx.cursor, sql, params)]
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
        if not strategy.writes:
            return WriteStats()
        raise ExecutionError(
            "returned None, but materialize='table' needs rows",
            model=ctx.spec.name, origin=str(ctx.spec.origin),
            hint="return data, or declare materialize='none' for a model run for its side effects",
        )
    kind = _prepare_target(ctx, "table")
    spec = ctx.spec
    keeps_history = strategy.keeps_history
    exists = kind == "table"
    needs_columns = keeps_history or (exists and spec.config.schema_mode == "strict")
    source_columns = _describe(ctx.cursor, sql, output.params) if needs_columns else []
    if exists and needs_columns:
        hidden = system_columns(spec)
        table_columns = [(c, t) for c, t in ctx.engine.columns(ctx.relation, ctx.cursor) if c.lower() not in hidden]
        changes = compare_columns(table_columns, source_columns)
        ctx.nulled = apply_schema_mode(ctx.cursor, spec, ctx.relation, changes, keeps_history=keeps_history)
    stats = strategy.writer()(WriteRequest(ctx.cursor, ctx.relation, sql, spec, exists=exists, params=output.params,
                                           source_columns=source_columns, now=ctx.now))
    if stats.result is not None:
        ctx.memory[spec.name] = stats.result
    return stats


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
    if output.params:
        raise ExecutionError(
            "a view cannot be incremental: its query would need the run's cursor values",
            model=ctx.spec.name, origin=str(ctx.spec.origin),
            hint="use materialize='table' with strategy='append' or 'merge_by_key' for a cursor model",
        )
    if ctx.existing == "view" and ctx.spec.config.schema_mode == "strict":
        changes = compare_columns(ctx.engine.columns(ctx.relation, ctx.cursor), _describe(ctx.cursor, sql or "", {}))
        apply_schema_mode(ctx.cursor, ctx.spec, ctx.relation, changes, keeps_history=False)
    _prepare_target(ctx, "view")
    ctx.cursor.execute(f"CREATE OR REPLACE VIEW {ctx.relation.sql} AS {sql}")
    return WriteStats()


def _in_memory(ctx: BuildContext, sql: str | None, output: Output) -> WriteStats:
    """Ephemeral Python models and ``materialize='none'``: keep the result for readers in this run."""
    import pyarrow as pa

    if ctx.spec.kind == "sql" and materialization_of(ctx.spec).always_runs:  # SQL run for its side effects
        last = None
        for statement in _statements(sql or ""):
            last = ctx.cursor.execute(statement)
        table = last.to_arrow_table() if last is not None and last.description else None
    elif output.data is not None:
        table = output.data.read_all() if isinstance(output.data, pa.RecordBatchReader) else output.data
    elif sql is not None:
        table = (ctx.cursor.execute(sql, output.params) if output.params else ctx.cursor.execute(sql)).to_arrow_table()
    else:
        table = None
    if table is not None:
        ctx.memory[ctx.spec.name] = table
        return WriteStats(rows=table.num_rows)
    return WriteStats()


# how each materialization (interlace.kinds.MATERIALIZATIONS) is built
BUILDERS: dict[str, Callable[[BuildContext, str | None, Output], WriteStats]] = {
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

def _record_success(ctx: BuildContext, stats: WriteStats, clock: float,
                    checks: tuple[CheckResult, ...] = ()) -> BuildOutcome:
    """Append the model's run record inside its write transaction (data and record commit together).

    The catalogue and schema history are refreshed for all models at once when the run ends.
    """
    outcome, record = _success(ctx, stats, clock, checks)
    ctx.state.record_model_run(record, cursor=ctx.cursor)
    return outcome


def _success(ctx: BuildContext, stats: WriteStats, clock: float,
             checks: tuple[CheckResult, ...]) -> tuple[BuildOutcome, ModelRunRecord]:
    spec = ctx.spec
    finished = datetime.now(UTC)
    duration_ms = (time.perf_counter() - clock) * 1000
    record = ModelRunRecord(
        run_id=ctx.run_id, model=spec.name, status="success", action=ctx.step.action, reason=ctx.step.reason,
        relation=str(ctx.relation) if is_persisted(spec) else None, fingerprint=ctx.step.fingerprint,
        definition=ctx.step.definition,
        inputs=[list(i) for i in ctx.step.inputs] if ctx.step.inputs is not None else None,
        started_at=ctx.started_at,
        finished_at=finished, duration_ms=duration_ms, rows_affected=stats.rows, inserted=stats.inserted,
        updated=stats.updated, deleted=stats.deleted, attempt=ctx.attempt,
    )
    return BuildOutcome(stats, finished, duration_ms, checks, ctx.lineage, dict(ctx.nulled)), record


def build_grouped(ctx: BuildContext) -> tuple[BuildOutcome, ModelRunRecord]:
    """Build a groupable model (:func:`interlace.engine.groups.groupable`: SQL, replace/view, no
    cursor, no export, in the warehouse) inside the caller's open transaction. Its run record is
    returned, for the caller to insert with the group's before the one commit."""
    clock = time.perf_counter()
    output = _produce(ctx)
    sql = _shape(ctx, output.sql, output.params) if output.sql is not None else None
    stats = BUILDERS[ctx.spec.materialize](ctx, sql, output)
    checks = check_model(ctx.cursor, ctx.spec, ctx.relation, ctx.checks, ctx.resolve)
    return _success(ctx, stats, clock, checks)


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


def _describe(cursor: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(column, type) of a query's result, without running it."""
    result = cursor.execute(f"DESCRIBE {sql}", dict(params)) if params else cursor.execute(f"DESCRIBE {sql}")
    return [(row[0], row[1]) for row in result.fetchall()]


def _statements(sql: str) -> list[str]:
    import sqlglot

    return [s.sql(dialect="duckdb") for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]


def wrap_error(exc: BaseException, spec: ModelSpec, sql: str | None = None) -> InterlaceError:
    """Any failure while building ``spec`` as an :class:`InterlaceError` naming the model (caused
    by ``exc``, so a retry policy's ``retry_on`` sees the original class)."""
    if isinstance(exc, InterlaceError):
        if exc.model is None:
            exc.model, exc.origin = spec.name, exc.origin or str(spec.origin)
        return exc
    wrapped = _wrap(exc, spec, sql)
    wrapped.__cause__ = exc
    return wrapped


def _wrap(exc: BaseException, spec: ModelSpec, sql: str | None) -> InterlaceError:
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
