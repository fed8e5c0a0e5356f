"""Calling a Python model: its upstreams as ibis tables, its return value as an :class:`Output`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interlace.engine.compile import compile_sql
from interlace.engine.output import Output, UnsupportedResult, to_output
from interlace.errors import ExecutionError
from interlace.kinds import is_in_memory, is_inlined
from interlace.project.discovery import user_traceback
from interlace.project.spec import ModelSpec

if TYPE_CHECKING:
    from interlace.engine.build import BuildContext
    from interlace.engine.incremental import CursorFilter

__all__ = ["call_python_model"]


def call_python_model(ctx: BuildContext, cursor_filter: CursorFilter | None) -> Output:
    spec = ctx.spec
    assert spec.func is not None
    backend = ctx.ibis_backend()
    inputs = {param: _input(ctx, backend, dep, cursor_filter) for param, dep in _parameters(spec)}
    try:
        result = spec.func(**inputs)
    except (Exception, SystemExit) as exc:  # sys.exit() in a model is that model's failure
        raise ExecutionError(
            f"the Python model raised {type(exc).__name__}: {exc}",
            model=spec.name, origin=str(spec.origin), details=user_traceback(exc),
            hint="fix the error in the model function (the traceback shows only your code's frames)",
        ) from exc
    try:
        return to_output(result, backend=backend)
    except UnsupportedResult as exc:
        raise ExecutionError(str(exc), model=spec.name, origin=str(spec.origin),
                             hint="convert the result to one of the supported types") from None


def _parameters(spec: ModelSpec) -> list[tuple[str, str]]:
    """(function parameter, dependency it receives) pairs of a Python model."""
    by_last = {d.split(".")[-1]: d for d in spec.dependencies}
    return [(p, by_last.get(p, p)) for p in spec.inferred_dependencies]


def _input(ctx: BuildContext, backend: Any, ref: str, cursor_filter: CursorFilter | None) -> Any:
    import ibis

    name = ref.split(".")[-1]
    spec = ctx.models.get(name)
    if spec is not None and name in ctx.upstream.get(ctx.spec.name, ()):
        if is_inlined(spec):
            table = backend.sql(compile_sql(spec, models=ctx.models, upstream=ctx.upstream,
                                            relation_of=ctx.relation_of, default_schema=ctx.default_schema))
        elif is_in_memory(spec):
            table = ibis.memtable(ctx.memory[spec.name])
        else:
            relation = ctx.relation_of(spec)
            table = backend.table(relation.name, database=(relation.catalog or ctx.engine.database, relation.schema))
    else:
        parts = ref.split(".")
        database = None if len(parts) == 1 else (parts[0] if len(parts) == 2 else (parts[0], parts[1]))
        table = backend.table(parts[-1], database=database)
    if cursor_filter is not None and cursor_filter.predicate and ref.lower() in cursor_filter.inputs:
        column = table[cursor_filter.column]
        for op, value in cursor_filter.bounds():
            bound = ibis.literal(value).cast(column.type())
            table = table.filter(column > bound if op == ">" else column >= bound if op == ">=" else column < bound)
            column = table[cursor_filter.column]
    return table
