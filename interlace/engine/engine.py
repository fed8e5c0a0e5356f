"""The one DuckDB engine of a workspace: its connection, attachments and per-thread cursors.

DuckDB allows one writing process per database file. When another process holds the file,
opening fails with :class:`WarehouseLockedError`, which names that process and what to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb

from interlace.config import AttachConfig
from interlace.engine.pandas_free import keep_pandas_unloaded
from interlace.engine.relation import Relation, quote, string_literal
from interlace.errors import ConfigError, StateError, WarehouseLockedError

__all__ = ["Engine"]


class Engine:
    """A DuckDB connection to the project's warehouse plus helpers to inspect its catalog."""

    def __init__(
        self,
        path: Path | None,
        *,
        read_only: bool = False,
        settings: dict[str, Any] | None = None,
        attach: list[AttachConfig] | tuple[AttachConfig, ...] = (),
        project_dir: Path | None = None,
        lake: str | None = None,
    ) -> None:
        self.path = path
        self.lake = lake  # the attached DuckLake catalog that holds the models (None: this file)
        self.read_only = read_only
        self.project_dir = project_dir
        self._lock = threading.Lock()
        # DuckLake (1.5.5's extension) corrupts a commit now and then when two transactions of one
        # process write the lake at once ("Failed to get path for schema with id <garbage>",
        # "could not find schema that corresponds to the view entry"): 2 in 40 runs of 4 threads
        # creating tables and views, 0 in 40 with the writes taken one at a time. So they are.
        self._lake_writes = threading.Lock() if lake is not None else None
        self._local = threading.local()
        self._readers: list[duckdb.DuckDBPyConnection] = []  # every thread's reader, closed by close()
        self.connection = _connect(path, read_only=read_only)
        try:
            keep_pandas_unloaded(self.connection)
            if project_dir is not None:
                # relative file paths in SQL (read_csv('seeds/x.csv')) resolve from the project
                self.connection.execute("SET GLOBAL file_search_path = ?", [str(project_dir)])
            for name, value in (settings or {}).items():
                self._set(name, value)
            for item in attach:
                self._attach(item, project_dir)
        except BaseException:
            self.connection.close()
            raise
        self.backends: Any = None  # interlace.backends.Backends: engines that hold models' tables
        self.catalogs = tuple(a.name for a in attach)
        self.attached: dict[str, AttachConfig] = {a.name: a for a in attach}
        self.udfs: set[str] = set()  # Python UDFs registered on the connection (interlace.functions)
        self.function_catalog: str | None = None  # the in-memory catalog holding the project's macros
        # fetchall, never fetchone: a result read only in part keeps its transaction open, which
        # blocks checkpoints (the WAL then grows until close)
        self.database = self.connection.execute("SELECT current_database()").fetchall()[0][0]
        self._relations_sql = _RELATIONS
        if lake is not None:  # unqualified names find the state file first, then the lake's tables
            self.connection.execute(f"SET search_path = {string_literal(self._search_path())}")
            from interlace.engine.lake import relations_sql

            self._relations_sql = relations_sql(lake)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor (its own transaction context) on the shared database."""
        with self._lock:
            cursor = self.connection.cursor()
        if self.function_catalog is not None or self.lake is not None:  # search_path is per cursor
            cursor.execute(f"SET search_path = {string_literal(self._search_path())}")
        return cursor

    def _search_path(self) -> str:
        catalogs = [c for c in (self.database, self.lake, self.function_catalog) if c is not None]
        return ",".join(f"{quote(c)}.main" for c in catalogs)

    def reader(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor for catalog reads: a DuckDB connection object must not be shared
        between threads, so the engine's helpers never use ``self.connection`` directly."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self.cursor()
            with self._lock:
                self._readers.append(cursor)
        return cursor

    def forget_readers(self) -> None:
        """Make every thread open a new reader cursor (after the functions changed)."""
        self._local = threading.local()

    @contextlib.contextmanager
    def transaction(self, cursor: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN … COMMIT on ``cursor``; any exception rolls everything back. With a DuckLake
        warehouse, one such transaction at a time in the process (see ``_lake_writes``)."""
        with self._lake_writes or contextlib.nullcontext():
            cursor.begin()
            try:
                yield cursor
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    cursor.rollback()
                raise
            cursor.commit()

    def relations(self, cursor: duckdb.DuckDBPyConnection | None = None) -> dict[tuple[str, str, str], str]:
        """Every table and view: lower-cased (catalog, schema, name) -> 'table' or 'view'.

        One catalog scan; callers keep the answer rather than asking per relation (which would
        make a run of n models cost n scans of an n-table catalog).
        """
        rows = (cursor or self.reader()).execute(self._relations_sql).fetchall()
        out = {(d.lower(), s.lower(), n.lower()): kind for d, s, n, kind in rows}
        if self.backends is not None:  # engines' tables (interlace.backends), from their catalogs
            out.update(self.backends.relations())
        return out

    def key(self, relation: Relation) -> tuple[str, str, str]:
        """``relation`` as a key of :meth:`relations`."""
        return ((relation.catalog or self.database).lower(), relation.schema.lower(), relation.name.lower())

    def reference_exists(self, ref: str, relations: Mapping[tuple[str, str, str], str]) -> bool:
        """Whether a dotted reference as written in SQL names an existing table or view."""
        parts = [p.lower() for p in ref.split(".")]
        db = self.database.lower()
        if len(parts) == 1:
            return any((d, s, n) in relations for d, s, n in [(db, "main", parts[0]), ("temp", "main", parts[0])])
        if len(parts) == 2:
            return (db, parts[0], parts[1]) in relations or (parts[0], "main", parts[1]) in relations
        return tuple(parts[-3:]) in relations

    def exists(self, relation: Relation, cursor: duckdb.DuckDBPyConnection | None = None) -> bool:
        return self.kind(relation, cursor) is not None

    def kind(self, relation: Relation, cursor: duckdb.DuckDBPyConnection | None = None) -> str | None:
        """'table', 'view' or None for a relation that does not exist."""
        row = (cursor or self.reader()).execute(
            f"SELECT kind FROM ({self._relations_sql}) WHERE d = ? AND s = ? AND n = ?",
            [relation.catalog or self.database, relation.schema, relation.name],
        ).fetchall()
        return row[0][0] if row else None

    def columns(self, relation: Relation, cursor: duckdb.DuckDBPyConnection | None = None) -> list[tuple[str, str]]:
        """(column, type) of an existing relation, in order; [] when it does not exist."""
        if cursor is None and not self.exists(relation):
            return []
        rows = (cursor or self.reader()).execute(f"DESCRIBE {relation.sql}").fetchall()
        return [(row[0], row[1]) for row in rows]

    def all_columns(self) -> dict[tuple[str, str, str], list[tuple[str, str]]]:
        """(column, type) of every table and view, keyed as :meth:`relations`: one catalog scan
        instead of a ``DESCRIBE`` per relation (what analysing a whole project's lineage needs)."""
        rows = self.reader().execute(
            "SELECT database_name, schema_name, table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE NOT internal ORDER BY database_name, schema_name, table_name, column_index").fetchall()
        out: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        for d, s, n, column, kind in rows:
            out.setdefault((d.lower(), s.lower(), n.lower()), []).append((column, kind))
        return out

    def head(self, relation: Relation, limit: int, *, count: bool = True
             ) -> tuple[list[str], list[tuple[Any, ...]], int | None]:
        """(columns, first ``limit`` rows, row count or None) of a relation; LookupError if absent."""
        cursor = self.cursor()
        try:
            head = cursor.execute(f"SELECT * FROM {relation.sql} LIMIT ?", [max(limit, 0)])
            columns = [d[0] for d in head.description or []]
            rows = head.fetchall()
            total = cursor.execute(f"SELECT count(*) FROM {relation.sql}").fetchall()[0][0] if count else None
        except duckdb.CatalogException:
            if self.exists(relation):
                raise
            raise LookupError(str(relation)) from None
        finally:
            cursor.close()
        return columns, rows, int(total) if total is not None else None

    def describe(self, sql: str) -> list[tuple[str, str]]:
        """(column, type) of a query's result, without running it (raises ``duckdb.Error``)."""
        return [(row[0], row[1]) for row in self.reader().execute(f"DESCRIBE {sql}").fetchall()]

    def columns_of(self, relations: Iterable[Relation]) -> dict[Relation, list[tuple[str, str]]]:
        """Columns of many relations with one catalog scan (for the end of a run)."""
        wanted = {self.key(r): r for r in relations}
        out: dict[Relation, list[tuple[str, str]]] = {r: [] for r in wanted.values()}
        if self.backends is not None:
            out.update(self.backends.columns_of(list(wanted.values())))
        if not wanted:
            return out
        rows = self.reader().execute(
            "SELECT database_name, schema_name, table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE list_contains(?, lower(schema_name)) ORDER BY database_name, schema_name, table_name, column_index",
            [sorted({k[1] for k in wanted})],
        ).fetchall()
        for db, schema, table, column, dtype in rows:
            relation = wanted.get((db.lower(), schema.lower(), table.lower()))
            if relation is not None:
                out[relation].append((column, dtype))
        return out

    def close(self) -> None:
        """Close the connection and every thread's reader cursor, and drop the readers here.

        A reader left in another thread's thread-local storage would be destroyed when that thread
        ends; DuckDB's connection destructor releases and retakes the GIL, and a thread doing so
        while the interpreter finalizes is ended inside a C++ destructor: the process aborts
        (``terminate called without an active exception``)."""
        with self._lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            with contextlib.suppress(duckdb.Error):
                reader.close()
        self._local = threading.local()  # frees the per-thread references, on this thread
        del readers
        self.connection.close()

    def _set(self, name: str, value: Any) -> None:
        if not name.replace("_", "").isalnum():
            raise ConfigError(f"'{name}' is not a DuckDB setting name", origin="connections.*.settings")
        try:
            self.connection.execute(f"SET GLOBAL {name} = ?", [value])
        except duckdb.Error as exc:
            raise ConfigError(
                f"DuckDB rejected the setting {name} = {value!r}: {exc}",
                origin="connections.*.settings", hint="see DuckDB's configuration reference",
            ) from exc

    def _attach(self, item: AttachConfig, project_dir: Path | None) -> None:
        from interlace.engine.connections import attach

        attach(self.connection, item, project_dir)


# information_schema, not duckdb_tables(): that one computes every table's estimated size, which a
# DuckLake answers with a query per table (a second per call at 100 lake tables)
_RELATIONS = ("SELECT table_catalog AS d, table_schema AS s, table_name AS n, "
              "CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS kind FROM information_schema.tables")

# extensions come from their PyPI packages (interlace.engine.extensions), never from the network
_NO_DOWNLOADS: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False, "autoload_known_extensions": False}


def _connect(path: Path | None, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    if path is None:
        return duckdb.connect(":memory:", config=_NO_DOWNLOADS)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only, config=_NO_DOWNLOADS)
    except duckdb.IOException as exc:
        holder = _lock_holder(path)
        if holder is None:
            raise StateError(f"cannot open the warehouse {path}: {exc}",
                             hint="check that the file exists and is readable") from exc
        raise WarehouseLockedError(
            f"the warehouse {path} is in use by another process (PID {holder[0]}: {holder[1]}). "
            "DuckDB lets one process at a time write a database file.",
            hint="wait for that process to finish or stop it; if it is `interlace serve`, send the "
            "work to its API instead; or point this environment at another file (--env / config.yaml)",
        ) from None


def _lock_holder(path: Path) -> tuple[int, str] | None:
    """The PID and command line of the process holding a write lock on ``path`` (POSIX F_GETLK)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        query = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        l_type, _, _, _, pid = struct.unpack("hhqqi4x", answer)
    except OSError:
        return None
    finally:
        os.close(fd)
    if l_type == fcntl.F_UNLCK or pid <= 0:
        return None
    try:
        command = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split())
        command = command if len(command) <= 120 else command[:117] + "..."
    except OSError:
        command = "unknown command"
    return pid, command or "unknown command"
