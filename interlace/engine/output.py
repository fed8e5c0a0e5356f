"""What a model produced, as something DuckDB can read: a query, or Arrow data.

Python models may return many kinds of objects; each is turned into Arrow (never row by row
through Python when it can be avoided) by the first converter in ``CONVERTERS`` that accepts it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import GeneratorType
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["CONVERTERS", "Output", "UnsupportedResult", "to_output"]

BATCH_ROWS = 65_536
SUPPORTED = ("an ibis table expression, a pandas or polars DataFrame, a pyarrow Table, RecordBatch or "
             "RecordBatchReader, a DuckDB relation, a list of dicts, a dict of lists, a generator of "
             "rows (dicts) or batches, or None")


class UnsupportedResult(TypeError):
    """A model returned something interlace cannot turn into rows."""


@dataclass(frozen=True, slots=True)
class Output:
    """Rows a model produced: ``sql`` to run on the engine, or ``data`` to register first."""

    sql: str | None = None
    data: pa.Table | pa.RecordBatchReader | None = None
    params: dict[str, Any] = field(default_factory=dict)  # named parameters of ``sql``

    @property
    def is_empty(self) -> bool:
        return self.sql is None and self.data is None


def to_output(result: Any, *, backend: Any = None) -> Output:
    """Convert a Python model's return value; raise :class:`UnsupportedResult` otherwise."""
    for accepts, convert in CONVERTERS:
        if accepts(result):
            return convert(result, backend)
    raise UnsupportedResult(f"returned a {type(result).__module__}.{type(result).__qualname__}; "
                            f"a model must return {SUPPORTED}")


def _module(obj: Any) -> str:
    return type(obj).__module__.split(".")[0]


def _is_ibis(obj: Any) -> bool:
    return _module(obj) == "ibis" and hasattr(obj, "op")


def _from_ibis(expr: Any, backend: Any) -> Output:
    import ibis
    import ibis.expr.operations as ops

    if not hasattr(expr, "schema"):  # a column or scalar: make it a one-column table
        expr = expr.as_table()
    if expr.op().find(ops.InMemoryTable):
        return Output(data=backend.to_pyarrow(expr))
    return Output(sql=ibis.to_sql(expr, dialect="duckdb"))


def _from_pandas(df: Any, _: Any) -> Output:
    import pyarrow as pa

    return Output(data=pa.Table.from_pandas(df, preserve_index=False))


def _from_polars(df: Any, _: Any) -> Output:
    return Output(data=df.to_arrow())


def _from_arrow(obj: Any, _: Any) -> Output:
    import pyarrow as pa

    if isinstance(obj, pa.RecordBatch):
        return Output(data=pa.Table.from_batches([obj]))
    return Output(data=obj)


def _from_relation(rel: duckdb.DuckDBPyRelation, _: Any) -> Output:
    return Output(data=rel.to_arrow_reader())


def _from_stream(obj: Any, _: Any) -> Output:
    import pyarrow as pa

    return Output(data=pa.RecordBatchReader.from_stream(obj))


def _from_columns(data: Mapping[str, Any], _: Any) -> Output:
    import pyarrow as pa

    return Output(data=pa.Table.from_pydict(dict(data)))


def _from_rows(rows: list[Any] | tuple[Any, ...], _: Any) -> Output:
    import pyarrow as pa

    if not rows:
        raise UnsupportedResult("returned an empty list, so its columns are unknown; return an empty "
                                "DataFrame or Arrow table (which carry a schema) instead")
    if not all(isinstance(r, Mapping) for r in rows):
        raise UnsupportedResult("returned a list whose items are not all dicts; "
                                f"a model must return {SUPPORTED}")
    return Output(data=pa.Table.from_pylist(list(rows)))


def _from_iterator(items: Iterator[Any], backend: Any) -> Output:
    import pyarrow as pa

    first = next(items, None)
    if first is None:
        raise UnsupportedResult("returned a generator that yielded nothing, so its columns are unknown")
    if isinstance(first, Mapping):
        chunks = _chunks(itertools.chain([first], items))
        head = pa.Table.from_pylist(next(chunks))
        tail = (pa.Table.from_pylist(c, schema=head.schema) for c in chunks)
        batches = itertools.chain(head.to_batches(), (b for t in tail for b in t.to_batches()))
        return Output(data=pa.RecordBatchReader.from_batches(head.schema, batches))
    head_out = to_output(first, backend=backend)
    if head_out.data is None:
        raise UnsupportedResult("a generator must yield rows (dicts) or batches of data")
    head = _as_table(head_out.data)

    def rest() -> Iterator[pa.RecordBatch]:
        yield from head.to_batches()
        for item in items:
            out = to_output(item, backend=backend)
            yield from _as_table(out.data).cast(head.schema).to_batches()

    return Output(data=pa.RecordBatchReader.from_batches(head.schema, rest()))


def _as_table(data: Any) -> pa.Table:
    import pyarrow as pa

    return data.read_all() if isinstance(data, pa.RecordBatchReader) else data


def _is_arrow(obj: Any) -> bool:
    import pyarrow as pa  # loaded already: the object is one of its types

    return isinstance(obj, pa.Table | pa.RecordBatch | pa.RecordBatchReader)


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(rows, BATCH_ROWS)):
        yield chunk


CONVERTERS: tuple[tuple[Callable[[Any], bool], Callable[[Any, Any], Output]], ...] = (
    (lambda r: r is None, lambda r, b: Output()),
    (_is_ibis, _from_ibis),
    (lambda r: _module(r) == "pyarrow" and _is_arrow(r), _from_arrow),
    (lambda r: isinstance(r, duckdb.DuckDBPyRelation), _from_relation),
    (lambda r: _module(r) == "pandas" and hasattr(r, "columns"), _from_pandas),
    (lambda r: _module(r) == "polars" and hasattr(r, "to_arrow"), _from_polars),
    (lambda r: hasattr(r, "__arrow_c_stream__"), _from_stream),
    (lambda r: isinstance(r, Mapping), _from_columns),
    (lambda r: isinstance(r, list | tuple), _from_rows),
    (lambda r: isinstance(r, GeneratorType | Iterator), _from_iterator),
)
