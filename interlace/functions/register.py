"""Register a project's functions on its engine: UDFs with ``create_function``, macros in an
in-memory catalog that every engine cursor searches (so they never write to the warehouse and
work on a read-only one)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from interlace.engine.engine import Engine
from interlace.engine.relation import quote
from interlace.errors import FunctionError
from interlace.functions.discovery import _MACRO, FunctionSpec

__all__ = ["FUNCTION_CATALOG", "register_functions"]

FUNCTION_CATALOG = "interlace_functions"


def register_functions(engine: Engine, functions: Iterable[FunctionSpec]) -> None:
    """Make ``functions`` callable from every cursor of ``engine`` (replacing an earlier set)."""
    functions = tuple(functions)
    connection = engine.connection
    for name in engine.udfs:
        connection.remove_function(name)
    engine.udfs.clear()
    if engine.function_catalog is not None:
        connection.execute(f"DETACH {quote(FUNCTION_CATALOG)}")
        engine.function_catalog = None
    for spec in functions:
        if spec.kind == "python":
            _register_udf(connection, spec)
            engine.udfs.add(spec.name)
    macros = [f for f in functions if f.kind == "macro"]
    if macros:
        connection.execute(f"ATTACH ':memory:' AS {quote(FUNCTION_CATALOG)}")
        engine.function_catalog = FUNCTION_CATALOG
        for spec in macros:
            _create_macro(connection, spec)
    engine.forget_readers()


def _register_udf(connection: duckdb.DuckDBPyConnection, spec: FunctionSpec) -> None:
    options = spec.options
    register: Any = connection.create_function  # duckdb's stubs cannot type a user function's signature
    try:
        register(
            spec.name, spec.func, list(options.parameters) if options.parameters is not None else None,
            options.returns, type="arrow" if options.vectorized else "native",
            null_handling=options.null_handling, side_effects=options.side_effects,
        )
    except (duckdb.Error, TypeError, ValueError) as exc:
        raise FunctionError(f"DuckDB cannot register function '{spec.name}': {exc}", origin=spec.origin,
                            hint="use annotations DuckDB understands (int, float, str, bool, bytes, "
                            "datetime...) or give @interlace.udf(parameters=[...], returns=...)") from exc


def _create_macro(connection: duckdb.DuckDBPyConnection, spec: FunctionSpec) -> None:
    header = f"CREATE OR REPLACE MACRO {quote(FUNCTION_CATALOG)}.main.{quote(spec.name)}("
    sql = _MACRO.sub(lambda _: header, spec.sql, count=1)
    try:
        connection.execute(sql)
    except duckdb.Error as exc:
        raise FunctionError(f"macro '{spec.name}' does not compile: {exc}", origin=spec.origin,
                            hint="fix the macro's SQL") from exc
