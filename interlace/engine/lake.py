"""A DuckLake warehouse: snapshots, time travel, change feeds and maintenance.

With ``type: ducklake`` as the default connection the models' tables live in the lake (attached
under the connection's name) and every write is a lake snapshot. This module holds what only a
lake can do:

- ``AT (VERSION => n)`` / ``AT (TIMESTAMP => t)``: a table as it was (``ws.table(x, at=...)``);
- ``table_changes('orders')`` in a SQL model with ``cursor="snapshot_id"``: the rows inserted,
  deleted or updated in ``orders`` since the snapshot the model last read (all of them on its
  first build), through DuckLake's ``ducklake_table_changes``; the watermark is that snapshot;
- ``CHECKPOINT`` (flushes rows inlined in the catalog to Parquet, merges small files) and
  ``ducklake_expire_snapshots`` + ``ducklake_cleanup_old_files`` (``interlace lake ...``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import sqlglot
import sqlglot.expressions as exp

from interlace.engine.relation import Relation, quote, string_literal
from interlace.errors import ExecutionError, InvalidOptionError

__all__ = [
    "CHANGES_COLUMN", "ChangesCursor", "Maintenance", "Snapshot", "at_clause", "changes_cursor", "checkpoint",
    "current_snapshot", "expire", "relations_sql", "snapshots", "uses_table_changes",
]

CHANGES_COLUMN = "snapshot_id"  # the cursor of a model that reads table_changes(...)
_FUNCTION = "table_changes"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One committed version of the lake."""

    id: int
    time: datetime
    changes: dict[str, list[str]]
    message: str | None = None


def snapshots(cursor: duckdb.DuckDBPyConnection, lake: str) -> list[Snapshot]:
    rows = cursor.execute("SELECT snapshot_id, snapshot_time, changes, commit_message "
                          "FROM ducklake_snapshots(?) ORDER BY snapshot_id", [lake]).fetchall()
    return [Snapshot(int(i), t, dict(c or {}), m) for i, t, c, m in rows]


def current_snapshot(cursor: duckdb.DuckDBPyConnection, lake: str) -> int:
    return int(cursor.execute("SELECT id FROM ducklake_current_snapshot(?)", [lake]).fetchall()[0][0])


def at_clause(at: int | datetime | str) -> str:
    """The ``AT (...)`` clause reading a lake table as of snapshot ``at`` (an id or a time)."""
    if isinstance(at, bool):
        raise InvalidOptionError(f"at={at!r} is neither a snapshot id nor a time",
                                 hint="pass a snapshot id (int, see `interlace lake snapshots`) or a datetime")
    if isinstance(at, int):
        return f"AT (VERSION => {int(at)})"
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            raise InvalidOptionError(
                f"at={at!r} is neither a snapshot id nor an ISO time",
                hint="pass a snapshot id (see `interlace lake snapshots`) or a time such as "
                "'2026-01-31T12:00:00+00:00'") from None
    if isinstance(at, datetime):
        kind = "TIMESTAMPTZ" if at.tzinfo is not None else "TIMESTAMP"
        return f"AT (TIMESTAMP => CAST({string_literal(at.isoformat())} AS {kind}))"
    raise InvalidOptionError(f"at={at!r} is neither a snapshot id nor a time",
                             hint="pass a snapshot id (int) or a datetime")


def relations_sql(lake: str) -> str:
    """The engine's list of relations (catalog, schema, name, kind) with ``lake`` attached.

    Listing a DuckLake through DuckDB's catalog functions reloads its schema and every table's
    statistics after each new snapshot (seconds at a hundred tables, and with several workers
    there is a new snapshot per model), so the lake's tables and views are read from its
    metadata catalog (one query), the other catalogs from ``duckdb_columns()``.
    """
    meta = quote(f"__ducklake_metadata_{lake}")
    name = string_literal(lake)
    live = "s.end_snapshot IS NULL AND x.end_snapshot IS NULL"
    return (
        f"SELECT {name} AS d, s.schema_name AS s, x.table_name AS n, 'table' AS kind "
        f"FROM {meta}.ducklake_table AS x JOIN {meta}.ducklake_schema AS s USING (schema_id) WHERE {live} "
        f"UNION ALL SELECT {name}, s.schema_name, x.view_name, 'view' "
        f"FROM {meta}.ducklake_view AS x JOIN {meta}.ducklake_schema AS s USING (schema_id) WHERE {live} "
        "UNION ALL SELECT DISTINCT c.database_name, c.schema_name, c.table_name, "
        "CASE WHEN v.view_name IS NULL THEN 'table' ELSE 'view' END FROM duckdb_columns() AS c "
        "LEFT JOIN duckdb_views() AS v ON v.database_name = c.database_name "
        "AND v.schema_name = c.schema_name AND v.view_name = c.table_name "
        f"WHERE c.database_name NOT IN ({name}, {string_literal(f'__ducklake_metadata_{lake}')}) "
        "AND NOT c.internal"
    )


# -- change feeds --------------------------------------------------------------------------------

def uses_table_changes(sql: str | None) -> bool:
    return sql is not None and _FUNCTION in sql.lower()


@dataclass(frozen=True, slots=True)
class ChangesCursor:
    """The cursor of a model that reads ``table_changes(...)``: lake snapshots ``since``..``until``.

    It has the shape of :class:`interlace.engine.incremental.CursorFilter` (the build calls
    ``advance`` in the write's transaction) but filters by rewriting the SQL, not its inputs.
    """

    lake: str
    since: int  # the first snapshot read (the last one read before, plus one)
    until: int  # the lake's current snapshot when the build started
    column: str = CHANGES_COLUMN
    predicate: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Relation] = field(default_factory=dict)
    backfill: bool = False

    def bounds(self) -> tuple[tuple[str, Any], ...]:
        return ()

    def advance(self, cursor: duckdb.DuckDBPyConnection) -> str | None:
        return str(self.until)

    def rewrite(self, sql: str, relation_of: Callable[[str], Relation], *, model: str, origin: str) -> str:
        """``table_changes('x')`` → ``ducklake_table_changes(lake, schema, 'x', since, until)``."""
        out = []
        for statement in sqlglot.parse(sql, dialect="duckdb"):
            if statement is None:
                continue
            for call in list(statement.find_all(exp.Anonymous)):
                if call.name.lower() != _FUNCTION:
                    continue
                args = call.expressions
                if len(args) != 1 or not isinstance(args[0], exp.Literal) or not args[0].is_string:
                    raise ExecutionError(
                        f"{_FUNCTION}(...) takes one table name in quotes, got {call.sql('duckdb')}",
                        model=model, origin=origin, hint=f"write {_FUNCTION}('orders')")
                relation = relation_of(args[0].name)
                if relation.catalog not in (None, self.lake):
                    raise ExecutionError(
                        f"{_FUNCTION}('{args[0].name}') reads {relation}, which is not in the lake "
                        f"'{self.lake}': only DuckLake tables keep a change feed",
                        model=model, origin=origin, hint="read a table of the DuckLake warehouse")
                call.replace(exp.Anonymous(this="ducklake_table_changes", expressions=[
                    exp.Literal.string(self.lake), exp.Literal.string(relation.schema),
                    exp.Literal.string(relation.name), exp.Literal.number(self.since),
                    exp.Literal.number(self.until)]))
            out.append(statement.sql(dialect="duckdb"))
        return ";\n".join(out)


def changes_cursor(cursor: duckdb.DuckDBPyConnection, *, lake: str | None, sql: str | None,
                   column: str | None, watermark: str | None, model: str, origin: str
                   ) -> ChangesCursor | None:
    """The change-feed cursor of a model, or None when it does not read ``table_changes``."""
    if not uses_table_changes(sql):
        return None
    if lake is None:
        raise ExecutionError(
            f"the model reads {_FUNCTION}(...), which needs a DuckLake warehouse",
            model=model, origin=origin,
            hint="make the default connection type: ducklake (config.yaml), or read the table itself")
    if column != CHANGES_COLUMN:
        raise ExecutionError(
            f"the model reads {_FUNCTION}(...) but its cursor is "
            f"{repr(column) if column else 'not set'}: the change feed is read from the snapshot "
            "after the one the model last read, which needs that snapshot as its watermark",
            model=model, origin=origin,
            hint=f"declare the model with cursor='{CHANGES_COLUMN}' and strategy='append' "
            "(or 'merge_by_key')")
    until = current_snapshot(cursor, lake)
    oldest = int(cursor.execute("SELECT min(snapshot_id) FROM ducklake_snapshots(?)", [lake]).fetchall()[0][0])
    since = int(watermark) + 1 if watermark is not None else oldest  # first build: all the feed kept
    if since < oldest:
        raise ExecutionError(
            f"the model reads the change feed from snapshot {since}, but the lake '{lake}' keeps "
            f"snapshots from {oldest} only (older ones were expired): the changes between are lost "
            "to it", model=model, origin=origin,
            hint=f"`interlace state reset-cursor {model}` makes it read the feed again from snapshot "
            f"{oldest} (changes before it only the tables themselves hold); `interlace lake expire` "
            "keeps what a change-feed model still needs, expiring by hand does not")
    return ChangesCursor(lake, since=min(since, until), until=until)


# -- maintenance ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Maintenance:
    """What a maintenance command did."""

    lake: str
    snapshot_before: int
    snapshot_after: int
    expired: tuple[int, ...] = ()
    files_deleted: int = 0
    kept_from: int | None = None  # expiry stopped here: a change-feed model still reads from it


def checkpoint(cursor: duckdb.DuckDBPyConnection, lake: str) -> Maintenance:
    """Flush inlined rows to Parquet and compact small files (DuckLake's ``CHECKPOINT``)."""
    before = current_snapshot(cursor, lake)
    cursor.execute(f"CHECKPOINT {quote(lake)}")
    return Maintenance(lake, before, current_snapshot(cursor, lake))


def expire(cursor: duckdb.DuckDBPyConnection, lake: str, *, older_than: datetime,
           keep_from: int | None = None) -> Maintenance:
    """Forget the snapshots older than ``older_than`` (time travel before it ends) and delete the
    data files no remaining snapshot reads. Snapshot ``keep_from`` and later ones are kept, however
    old: a model reading ``table_changes`` resumes from there (expiring them would lose its feed)."""
    before = current_snapshot(cursor, lake)
    kept = None
    if keep_from is not None:
        first = cursor.execute("SELECT min(snapshot_time) FROM ducklake_snapshots(?) WHERE snapshot_id >= ?",
                               [lake, keep_from]).fetchall()[0][0]
        if first is not None and first < older_than:
            older_than, kept = first, keep_from
    rows = cursor.execute("SELECT snapshot_id FROM ducklake_expire_snapshots(?, older_than => ?)",
                          [lake, older_than]).fetchall()
    files = cursor.execute("SELECT count(*) FROM ducklake_cleanup_old_files(?, cleanup_all => true)",
                           [lake]).fetchall()[0][0]
    return Maintenance(lake, before, current_snapshot(cursor, lake),
                       expired=tuple(sorted(int(r[0]) for r in rows)), files_deleted=int(files),
                       kept_from=kept)
