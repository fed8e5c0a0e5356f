"""Many state rows in one ``INSERT``: one bound list parameter per column, ``unnest``-ed in SQL.

Run bookkeeping writes a row per model (run records, catalogue entries, schema versions, check
results, lineage edges). Sending them as Arrow costs the pyarrow import (and, through pyarrow's
pandas shim, pandas + numpy: 0.3–0.8 s of a cold run); one statement per row costs a round trip
each. A column's values travel as one typed list instead: ``INSERT … SELECT unnest(CAST(? AS
VARCHAR[])), unnest(CAST(? AS BIGINT[])), …`` — still bound parameters, one statement for any
number of rows, no extra import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

__all__ = ["Column", "insert_rows"]

Column = tuple[str, str]  # (column name, DuckDB type of one value, e.g. 'VARCHAR' or 'VARCHAR[]')


def insert_rows(cursor: duckdb.DuckDBPyConnection, table: str, columns: Sequence[Column],
                rows: Sequence[Sequence[Any]], *, constants: Sequence[tuple[str, str]] = (),
                params: Sequence[Any] = (), replace: bool = False) -> None:
    """Insert ``rows`` (one value per column of ``columns``) into ``table`` in one statement.

    ``constants`` are (column, SQL expression) pairs the same for every row (``now()``, or ``?``
    bound from ``params``, in order). ``table`` and the column names are the caller's constants
    (the state schema), never user input; every value is a bound parameter.
    """
    if not rows:
        return
    width = len(columns)
    if any(len(row) != width for row in rows):
        raise ValueError(f"insert_rows into {table}: every row needs {width} values ({', '.join(c for c, _ in columns)})")
    names = [name for name, _ in columns] + [name for name, _ in constants]
    values = [f"unnest(CAST(? AS {kind}[]))" for _, kind in columns] + [expr for _, expr in constants]
    verb = "INSERT OR REPLACE INTO" if replace else "INSERT INTO"
    sql = f"{verb} {table} ({', '.join(names)}) SELECT {', '.join(values)}"
    cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)] + list(params))
