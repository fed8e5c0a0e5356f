"""Building a model on an engine (``Run`` calls :func:`dispatcher`'s function for every model).

A SQL model's DuckDB SQL is compiled as for DuckDB, then translated (``backends.translate``);
what it reads from the DuckDB warehouse or the run's memory is moved in as Arrow. A Python
model gets the engine's ibis tables. The model's checks run on the engine before the new data
becomes visible; its run record goes to the workspace's DuckDB state file afterwards.

A model in DuckDB that reads a model kept on an engine is refused with a clear error: the data
moves from DuckDB to an engine, never back (put the reader on the engine too).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from interlace.backends import Backends
from interlace.backends.base import Backend, BackendCursor, first_line
from interlace.backends.translate import Untranslatable, translate
from interlace.engine.build import (
    BuildContext,
    BuildOutcome,
    _record_success,
    _registered,
    build_model,
    check_model,
)
from interlace.engine.compile import compile_sql, memory_name
from interlace.engine.output import UnsupportedResult, to_output
from interlace.engine.strategies.base import WriteStats
from interlace.errors import ExecutionError, InterlaceError
from interlace.kinds import is_in_memory, is_inlined, is_persisted
from interlace.planner.plan import upstream_through_inlined
from interlace.project.spec import ModelSpec

__all__ = ["dispatcher"]


def dispatcher(backends: Backends, engine_of: Callable[[ModelSpec], str]
               ) -> Callable[[BuildContext], BuildOutcome]:
    """The build function of a run: on the model's engine, or DuckDB's ``build_model``."""
    def build(ctx: BuildContext) -> BuildOutcome:
        name = engine_of(ctx.spec)
        if name in backends:
            return build_on(ctx, backends.get(name), engine_of)
        _refuse_engine_inputs(ctx, backends, engine_of)
        return build_model(ctx)
    return build


def _refuse_engine_inputs(ctx: BuildContext, backends: Backends, engine_of: Callable[[ModelSpec], str]) -> None:
    for up in upstream_through_inlined(ctx.spec.name, ctx.models, ctx.upstream):
        spec = ctx.models[up]
        if is_persisted(spec) and engine_of(spec) in backends:
            raise ExecutionError(
                f"reads model '{up}', which is kept on engine '{engine_of(spec)}' "
                f"({backends.configs[engine_of(spec)].type}); a DuckDB model cannot read an engine's "
                "tables (data moves from DuckDB to an engine, not back)",
                model=ctx.spec.name, origin=str(ctx.spec.origin),
                hint=f"run '{ctx.spec.name}' on the same engine (connection='{engine_of(spec)}'), "
                f"or keep '{up}' in DuckDB")


def _refuse_unsupported(spec: ModelSpec, backend: Backend) -> None:
    def refuse(what: str, hint: str) -> None:
        raise ExecutionError(f"{what} is not supported on {backend.label}", model=spec.name,
                             origin=str(spec.origin), hint=hint)

    if spec.materialize == "table" and spec.strategy not in backend.strategies:
        refuse(f"strategy '{spec.strategy}'",
               f"use one of {', '.join(sorted(backend.strategies))} there, or run the model in "
               "DuckDB (connection='default')")
    if spec.strategy == "merge_by_key" and spec.config.delete_mode == "soft":
        refuse("delete_mode='soft'", "use delete_mode='preserve' or 'hard' there")
    if spec.config.cursor:
        refuse("an incremental model (cursor=)",
               "drop cursor= (the model is rebuilt from all its input), or run it in DuckDB")
    for keyword in ("fields", "column_mapping", "export"):
        if getattr(spec.config, keyword):
            refuse(f"{keyword}=", "shape the output in the query itself, or run the model in DuckDB")


def build_on(ctx: BuildContext, backend: Backend, engine_of: Callable[[ModelSpec], str]) -> BuildOutcome:
    clock = time.perf_counter()
    spec = ctx.spec
    _refuse_unsupported(spec, backend)
    prefix = backend.token()
    moved: list[str] = []
    memory = [u for u in upstream_through_inlined(spec.name, ctx.models, ctx.upstream)
              if is_in_memory(ctx.models[u]) and u in ctx.memory]
    with backend.exclusive():
        stats, checks = _build_on(ctx, backend, engine_of, prefix, moved, memory)
    with ctx.engine.transaction(ctx.cursor):
        return _record_success(ctx, stats, clock, checks)


def _build_on(ctx: BuildContext, backend: Backend, engine_of: Callable[[ModelSpec], str], prefix: str,
              moved: list[str], memory: list[str]) -> tuple[WriteStats, Any]:
    spec = ctx.spec
    try:
        with _registered(ctx.cursor, {memory_name(u): ctx.memory[u] for u in memory}):
            if spec.kind == "sql":
                sql = _sql_model(ctx, backend, prefix, moved)
            else:
                sql = _python_model(ctx, backend, prefix, moved, engine_of)
        if spec.materialize == "view":
            # what the view reads from DuckDB (files, tables) is kept on the engine as hidden
            # tables, refreshed at each build: a view cannot read a session's temporary data
            for i, name in enumerate(moved):
                sql = sql.replace(name, backend.keep(ctx.relation.schema,
                                                     f"__interlace_src_{spec.name}_{i}", name))
            backend.write_view(ctx.relation, sql)
            stats, checks = WriteStats(), _checks(ctx, backend, ctx.relation)
        elif spec.materialize == "table":
            results: list[Any] = []
            stats = backend.write_table(ctx.relation, sql, spec,
                                        lambda rel: results.append(_checks(ctx, backend, rel)))
            checks = results[0] if results else ()
        else:  # ephemeral Python model / materialize='none': its result lives in this run
            table = backend.to_arrow(sql)
            ctx.memory[spec.name] = table
            stats, checks = WriteStats(rows=table.num_rows), ()
    except InterlaceError:
        raise
    except Exception as exc:  # noqa: BLE001 - the engine's error, named for the user
        raise ExecutionError(f"{backend.label} failed: {first_line(exc)}", model=spec.name,
                             origin=str(spec.origin), sql=spec.sql,
                             hint="fix the model for that engine (the message above is the engine's)"
                             ) from exc
    finally:
        for name in moved:
            backend.unregister(name)
    return stats, checks


def _checks(ctx: BuildContext, backend: Backend, relation: Any) -> Any:
    return check_model(BackendCursor(backend, ctx.cursor), ctx.spec, relation,  # type: ignore[arg-type]
                       ctx.checks, ctx.resolve)


def _sql_model(ctx: BuildContext, backend: Backend, prefix: str, moved: list[str]) -> str:
    spec = ctx.spec
    sql = compile_sql(spec, models=ctx.models, upstream=ctx.upstream, relation_of=ctx.relation_of,
                      default_schema=ctx.default_schema)
    return _translated(ctx, backend, sql, prefix, moved)


def _translated(ctx: BuildContext, backend: Backend, sql: str, prefix: str, moved: list[str]) -> str:
    spec = ctx.spec
    try:
        translated = translate(sql, dialect=backend.dialect, catalog=backend.name,
                               prefix=f"{prefix}{len(moved)}_")
    except Untranslatable as exc:
        raise ExecutionError(
            f"{exc.construct} has no translation from DuckDB SQL to {backend.dialect} "
            f"(the model runs on {backend.label})", model=spec.name,
            origin=_line_of(spec, exc.keyword, ctx.engine.project_dir),
            hint=f"write the query without {exc.construct} (so that it runs on both engines), "
            "or make it a Python model (ibis compiles it for each engine), or run it in DuckDB "
            "(connection='default')") from exc
    for item in translated.inputs:
        backend.register(item.name, ctx.cursor.execute(item.duckdb_sql).to_arrow_table())
        moved.append(item.name)
    return translated.sql


def _line_of(spec: ModelSpec, keyword: str, root: Path | None) -> str:
    """``file:line`` of the first line from the model's header on that holds ``keyword``."""
    origin = spec.origin
    start = (origin.line or 1) - 1
    try:
        path = Path(origin.path)
        lines = (path if path.is_absolute() or root is None else root / path).read_text(
            encoding="utf-8").splitlines()
    except OSError:
        return str(origin)
    hit = next((i for i in range(start, len(lines)) if keyword.lower() in lines[i].lower()), None)
    return str(origin) if hit is None else f"{origin.path}:{hit + 1}"


def _python_model(ctx: BuildContext, backend: Backend, prefix: str, moved: list[str],
                  engine_of: Callable[[ModelSpec], str]) -> str:
    from interlace.engine.python_model import _parameters
    from interlace.project.discovery import user_traceback

    spec = ctx.spec
    assert spec.func is not None
    con = backend.ibis()
    inputs = {param: _input(ctx, backend, con, dep, prefix, moved, engine_of)
              for param, dep in _parameters(spec)}
    try:
        result = spec.func(**inputs)
    except (Exception, SystemExit) as exc:
        raise ExecutionError(
            f"the Python model raised {type(exc).__name__}: {exc}", model=spec.name,
            origin=str(spec.origin), details=user_traceback(exc),
            hint="fix the error in the model function (the traceback shows only your code's frames)",
        ) from exc
    if type(result).__module__.split(".")[0] == "ibis" and hasattr(result, "op"):
        expr = result if hasattr(result, "schema") else result.as_table()
        hooks = getattr(con, "_run_pre_execute_hooks", None)
        if hooks is not None:
            hooks(expr)  # memtables of the expression become the session's views
        return str(con.compile(expr))
    try:
        output = to_output(result)
    except UnsupportedResult as exc:
        raise ExecutionError(str(exc), model=spec.name, origin=str(spec.origin),
                             hint="convert the result to one of the supported types") from None
    import pyarrow as pa

    data = output.data
    if data is None:
        raise ExecutionError(f"returned no rows for {backend.label}", model=spec.name,
                             origin=str(spec.origin), hint="return a table, a DataFrame or an ibis expression")
    table = data.read_all() if isinstance(data, pa.RecordBatchReader) else data
    name = f"{prefix}out"
    backend.register(name, table)
    moved.append(name)
    return f"SELECT * FROM {name}"


def _input(ctx: BuildContext, backend: Backend, con: Any, ref: str, prefix: str, moved: list[str],
           engine_of: Callable[[ModelSpec], str]) -> Any:
    name = ref.split(".")[-1]
    spec = ctx.models.get(name)
    if spec is not None and name in ctx.upstream.get(ctx.spec.name, ()):
        if is_inlined(spec):
            sql = compile_sql(spec, models=ctx.models, upstream=ctx.upstream,
                              relation_of=ctx.relation_of, default_schema=ctx.default_schema)
            return con.sql(_translated(ctx, backend, sql, prefix, moved), dialect=backend.dialect)
        if not is_in_memory(spec) and engine_of(spec) == backend.name:
            relation = ctx.relation_of(spec)
            return con.table(relation.name, database=relation.schema)
        source = f"SELECT * FROM {memory_name(name)}" if is_in_memory(spec) \
            else f"SELECT * FROM {ctx.relation_of(spec).sql}"
    else:
        source = f"SELECT * FROM {ref}"
    view = f"{prefix}{len(moved)}"
    backend.register(view, ctx.cursor.execute(source).to_arrow_table())
    moved.append(view)
    return con.table(view)
