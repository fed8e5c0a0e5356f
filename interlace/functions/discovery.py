"""Find the functions of a project: typed Python functions and SQL macros under ``functions/``.

A Python file's public functions (those defined in it, not imported) become UDFs; their types
come from the annotations, or from ``@interlace.udf(parameters=..., returns=...)``, which also
marks a vectorized (Arrow) UDF and sets ``null_handling`` and ``side_effects``. A SQL file holds
``CREATE MACRO`` statements (scalar or ``AS TABLE``). A file that does not load is a
:class:`FunctionError` naming the file and line.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from interlace.errors import FunctionError

__all__ = ["FunctionSpec", "UdfOptions", "calls", "discover_functions", "udf"]

F = TypeVar("F", bound=Callable[..., Any])
_MACRO = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:MACRO|FUNCTION)\s+(?:\"?\w+\"?\s*\.\s*)*\"?(\w+)\"?\s*\(",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class UdfOptions:
    """How a Python function is registered (``create_function``'s keywords)."""

    vectorized: bool = False  # an Arrow UDF: called with pyarrow arrays, returns one
    null_handling: Literal["default", "special"] = "default"  # special: the function sees NULLs
    side_effects: bool = False  # True: never folded or cached (random, clocks, I/O)
    parameters: tuple[str, ...] | None = None  # DuckDB types; default: from the annotations
    returns: str | None = None


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One user function: a Python UDF or a SQL macro."""

    name: str
    kind: Literal["python", "macro"]
    path: str  # relative to the project
    line: int
    source: str  # normalized: what the fingerprint of a calling model covers
    func: Callable[..., Any] | None = field(default=None, compare=False)
    options: UdfOptions = UdfOptions()
    sql: str = ""  # a macro's CREATE statement

    @property
    def checksum(self) -> str:
        return hashlib.sha256(f"{self.kind}|{self.source}".encode()).hexdigest()[:16]

    @property
    def origin(self) -> str:
        return f"{self.path}:{self.line}"


def udf(*, vectorized: bool = False, null_handling: Literal["default", "special"] = "default",
        side_effects: bool = False, parameters: Iterable[str] | None = None,
        returns: str | None = None) -> Callable[[F], F]:
    """Mark a function under ``functions/`` with how DuckDB should call it.

    >>> @udf(vectorized=True, parameters=["DOUBLE"], returns="DOUBLE")
    ... def double(x):
    ...     return pyarrow.compute.multiply(x, 2)
    """
    if null_handling not in ("default", "special"):
        raise ValueError(f"null_handling must be 'default' or 'special' (got {null_handling!r})")
    options = UdfOptions(vectorized, null_handling, side_effects,
                         tuple(parameters) if parameters is not None else None, returns)

    def mark(func: F) -> F:
        func.__interlace_udf__ = options  # type: ignore[attr-defined]
        return func

    return mark


def discover_functions(root: Path) -> tuple[FunctionSpec, ...]:
    """Every function under ``root/functions`` (sorted by file), names checked to be unique."""
    folder = root / "functions"
    if not folder.is_dir():
        return ()
    found: dict[str, FunctionSpec] = {}
    for path in sorted(folder.glob("*.py")) + sorted(folder.glob("*.sql")):
        if path.name.startswith("_"):
            continue
        rel = str(path.relative_to(root))
        specs = _python_file(path, rel) if path.suffix == ".py" else _sql_file(path, rel)
        for spec in specs:
            if spec.name in found:
                raise FunctionError(
                    f"function '{spec.name}' is defined twice (also at {found[spec.name].origin})",
                    origin=spec.origin, hint="rename one of them")
            found[spec.name] = spec
    return tuple(found.values())


def calls(text: str, functions: Iterable[str]) -> tuple[str, ...]:
    """The function names a model's SQL (or Python source) calls: ``name(`` not after a dot."""
    lowered = text.lower()
    return tuple(sorted(n for n in functions
                        if n.lower() in lowered and re.search(rf"(?<![\w.]){re.escape(n)}\s*\(", text, re.I)))


def combined_checksums(models: Mapping[str, str], functions: Mapping[str, FunctionSpec]) -> dict[str, str]:
    """{model: checksum of the functions it calls} from {model: its text}; models calling none left out."""
    out: dict[str, str] = {}
    for model, text in models.items():
        used = calls(text, functions)
        if used:
            out[model] = "|".join(f"{n}:{functions[n].checksum}" for n in used)
    return out


# -- Python files --------------------------------------------------------------------------------

def _python_file(path: Path, rel: str) -> list[FunctionSpec]:
    text = path.read_text()
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        raise FunctionError(f"invalid Python: {exc.msg}", origin=f"{rel}:{exc.lineno}",
                            hint="fix the syntax at that line") from None
    module = _load_module(path, rel)
    nodes = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    out = []
    for name, node in nodes.items():
        func = getattr(module, name, None)
        if name.startswith("_") or not callable(func) or getattr(func, "__module__", None) != module.__name__:
            continue
        options: UdfOptions = getattr(func, "__interlace_udf__", UdfOptions())
        where = f"{rel}:{node.lineno}"
        if options.parameters is None or options.returns is None:
            _check_annotations(func, name, where, vectorized=options.vectorized)
        out.append(FunctionSpec(name, "python", rel, node.lineno, ast.unparse(node), func, options))
    return out


def _load_module(path: Path, rel: str) -> Any:
    module_name = f"interlace_user_functions.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise FunctionError("cannot be loaded as a Python module", origin=rel, hint="check the file name")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
        line = frames[-1].lineno if frames else 1
        raise FunctionError(f"importing the file failed: {type(exc).__name__}: {exc}", origin=f"{rel}:{line}",
                            hint="fix the error at that line (the file runs when the project loads)") from exc
    sys.modules.pop(module_name, None)  # a reload reads the file again
    return module


def _check_annotations(func: Callable[..., Any], name: str, where: str, *, vectorized: bool) -> None:
    signature = inspect.signature(func)
    missing = [p.name for p in signature.parameters.values() if p.annotation is inspect.Parameter.empty]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("the return value")
    if missing or vectorized:
        raise FunctionError(
            f"function '{name}' needs DuckDB types for " + (", ".join(missing) if missing else "its Arrow arrays"),
            origin=where,
            hint="annotate every parameter and the return type (x: int) -> int, or give "
            "@interlace.udf(parameters=['BIGINT'], returns='BIGINT')",
        )


# -- SQL files -----------------------------------------------------------------------------------

def _sql_file(path: Path, rel: str) -> list[FunctionSpec]:
    import duckdb

    from interlace.project.dependencies import normalize_sql

    text = path.read_text()
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise FunctionError(f"invalid SQL: {exc}", origin=f"{rel}:{_failing_line(text)}",
                            hint="fix the statement at that line") from None
    out, offset = [], 0
    for statement in statements:
        query = statement.query
        start = text.find(query.strip(), offset)
        offset = start + len(query.strip()) if start >= 0 else offset
        match = _MACRO.search(query)
        line = text[:max(start, 0) + (match.start() if match else 0)].count("\n") + 1
        if match is None:
            raise FunctionError("a functions/*.sql file holds only CREATE MACRO statements",
                                origin=f"{rel}:{line}",
                                hint="move other statements into a model or a migration (migrations/)")
        out.append(FunctionSpec(match.group(1), "macro", rel, line, normalize_sql(query), sql=query.strip()))
    return out


def changed_functions(used: Iterable[str], functions: Mapping[str, FunctionSpec],
                      first_seen: Mapping[tuple[str, str], Any], built_at: Any) -> str | None:
    """Why a caller changed: the first function it calls whose current version is newer than
    ``built_at`` (or was never used by a run), as a plan reason; None when none is."""
    for name in used:
        spec = functions[name]
        seen = first_seen.get((name, spec.checksum))
        if seen is None or seen > built_at:
            return f"function '{name}' ({spec.origin}) changed since the last build"
    return None


def _failing_line(text: str) -> int:
    """The line of the first ``;``-separated statement DuckDB cannot parse (for error messages)."""
    import duckdb

    offset = 0
    for chunk in re.split(r"(?<=;)", text):
        if chunk.strip():
            try:
                duckdb.extract_statements(chunk)
            except duckdb.Error:
                lead = len(chunk) - len(chunk.lstrip())
                return text[:offset + lead].count("\n") + 1
        offset += len(chunk)
    return 1
