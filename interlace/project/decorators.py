"""The ``@model`` decorator: validates its keywords at once and records a spec on the function.

There is no global registry. Whoever loads model code (file discovery, the notebook session) opens a
:func:`collecting` block; every ``@model`` that runs inside it is appended to that block's list.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import textwrap
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar, overload

from interlace.errors import ModelDefinitionError
from interlace.project.spec import ModelSpec, Origin, make_spec

__all__ = ["collecting", "model", "spec_of"]

F = TypeVar("F", bound=Callable[..., Any])
_collector: ContextVar[list[ModelSpec] | None] = ContextVar("interlace_model_collector", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[list[ModelSpec]]:
    """Collect the specs of every ``@model`` that runs inside the block."""
    specs: list[ModelSpec] = []
    token = _collector.set(specs)
    try:
        yield specs
    finally:
        _collector.reset(token)


def spec_of(func: Callable[..., Any]) -> ModelSpec | None:
    """The spec ``@model`` attached to ``func``, if any."""
    return getattr(func, "__interlace_model__", None)


@overload
def model(func: F, /) -> F: ...
@overload
def model(**keywords: Any) -> Callable[[F], F]: ...


def model(func: Callable[..., Any] | None = None, /, **keywords: Any) -> Any:
    """Declare a Python model; its parameters name the upstream models it reads.

    Upstreams arrive as ibis tables over the project's DuckDB engine. The function may return an
    ibis expression, a pandas or polars DataFrame, a pyarrow Table / RecordBatchReader, a list of
    dicts, a dict of lists, a generator of rows or batches, or None.

    >>> from interlace import model
    >>> @model(materialize="table", tags=["marts"])
    ... def big_orders(orders):
    ...     return orders.filter(orders.amount > 100)
    >>> big_orders.__interlace_model__.dependencies
    ('orders',)
    """
    if func is not None:
        if keywords or not callable(func):
            raise TypeError("use @model or @model(keyword=value, ...), with keywords only")
        return _decorate(func, {})

    def decorate(fn: F) -> F:
        return _decorate(fn, keywords)

    return decorate


def _decorate(func: F, keywords: dict[str, Any]) -> F:
    origin = _origin_of(func)
    spec = make_spec(
        kind="python",
        origin=origin,
        keywords=keywords,
        default_name=func.__name__,
        declared_by="@model",
        func=func,
        source=_source_of(func),
        inferred_dependencies=_parameters(func, origin),
    )
    if spec.declared_dependencies is not None:
        extra = [p for p in spec.inferred_dependencies if p not in spec.declared_dependencies]
        if extra:
            raise ModelDefinitionError(
                f"parameter(s) {', '.join(extra)} are not among dependencies={list(spec.declared_dependencies)}",
                model=spec.name, origin=str(origin),
                hint="add them to dependencies=, or give those parameters default values",
            )
    func.__interlace_model__ = spec  # type: ignore[attr-defined]
    collected = _collector.get()
    if collected is not None:
        collected.append(spec)
    return func


def _origin_of(func: Callable[..., Any]) -> Origin:
    code = getattr(func, "__code__", None)
    path = inspect.getsourcefile(func) if code is not None else None
    return Origin(path=path or "<unknown>", line=code.co_firstlineno if code else None)


def _source_of(func: Callable[..., Any]) -> str:
    """The function's source without decorators, normalized through ``ast`` (comments dropped)."""
    try:
        text = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return getattr(func, "__qualname__", "")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    node = tree.body[0]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        node.decorator_list = []
    return ast.unparse(node)


def _parameters(func: Callable[..., Any], origin: Origin) -> tuple[str, ...]:
    names = []
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ModelDefinitionError(
                f"parameter '{param.name}' is *args/**kwargs; model parameters name upstream models",
                model=func.__name__, origin=str(origin),
                hint="name each upstream model as its own parameter",
            )
        if param.default is param.empty:
            names.append(param.name)
    return tuple(names)
