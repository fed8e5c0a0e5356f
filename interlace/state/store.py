"""Read and write the ``interlace`` state schema. Bound parameters only; one lock for own writes.

Methods that take ``cursor=`` run inside the caller's transaction, so that a model's data and the
record of it commit together (or not at all). Reads run on a cursor of their own thread (see
:meth:`StateStore.snapshot`), so readers in several threads do not wait for each other or for a
write: each sees what was committed when its statement (or its snapshot) began. The thread inside
:meth:`StateStore.batch` reads on the store's cursor, and so sees its own uncommitted writes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import duckdb

from interlace.errors import KeyExistsError, StateError
from interlace.state.liveness import process_token
from interlace.state.reliability import ReliabilityState
from interlace.state.rows import Column, insert_rows
from interlace.state.scheduling import SchedulingState
from interlace.state.schema import VERSIONS

__all__ = ["ApiKeyRecord", "CatalogEntry", "CatalogRecord", "LastBuild", "ModelRunRecord", "QualityRecord",
           "RunRecord", "SchemaVersion", "StateStore", "describe_changes"]

R = TypeVar("R")

_MODEL_RUN_COLUMNS: tuple[Column, ...] = (
    ("run_id", "VARCHAR"), ("model", "VARCHAR"), ("status", "VARCHAR"), ("action", "VARCHAR"),
    ("reason", "VARCHAR"), ("relation", "VARCHAR"), ("fingerprint", "VARCHAR"), ("inputs", "VARCHAR"),
    ("started_at", "TIMESTAMPTZ"), ("finished_at", "TIMESTAMPTZ"), ("duration_ms", "DOUBLE"),
    ("rows_affected", "BIGINT"), ("inserted", "BIGINT"), ("updated", "BIGINT"), ("deleted", "BIGINT"),
    ("error", "VARCHAR"), ("skip_reason", "VARCHAR"), ("definition", "VARCHAR"), ("attempt", "INTEGER"),
)
_QUALITY_COLUMNS: tuple[Column, ...] = (
    ("model", "VARCHAR"), ("check_name", "VARCHAR"), ("check_type", "VARCHAR"), ("severity", "VARCHAR"),
    ("status", "VARCHAR"), ("failing", "BIGINT"), ("duration_ms", "DOUBLE"), ("sql", "VARCHAR"),
    ("samples", "VARCHAR"), ("message", "VARCHAR"),
)
_LINEAGE_COLUMNS: tuple[Column, ...] = (
    ("model", "VARCHAR"), ("fingerprint", "VARCHAR"), ("column_name", "VARCHAR"), ("source", "VARCHAR"),
    ("source_column", "VARCHAR"), ("kind", "VARCHAR"),
)
_VERSION_COLUMNS: tuple[Column, ...] = (
    ("model", "VARCHAR"), ("version", "INTEGER"), ("columns", "VARCHAR"), ("changes", "VARCHAR"),
)
_CATALOG_COLUMNS: tuple[Column, ...] = (
    ("name", "VARCHAR"), ("kind", "VARCHAR"), ("materialize", "VARCHAR"), ("strategy", "VARCHAR"),
    ("relation", "VARCHAR"), ("origin", "VARCHAR"), ("config", "VARCHAR"), ("fingerprint", "VARCHAR"),
    ("columns", "VARCHAR"), ("description", "VARCHAR"), ("tags", "VARCHAR[]"),
)


class _Record:
    """Typed rows read from the state schema: ``to_dict()`` for JSON payloads and templates."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_row(cls: type[R], row: Mapping[str, Any]) -> R:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in row.items() if k in names})


@dataclass(frozen=True, slots=True)
class RunRecord(_Record):
    """One run as state records it (``status``: queued | running | success | failed | cancelled |
    interrupted)."""

    run_id: str
    status: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    env: str | None = None
    selector: str | None = None
    trigger: str | None = None
    pid: int | None = None
    models_total: int | None = None
    models_succeeded: int | None = None
    models_failed: int | None = None
    models_skipped: int | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status not in ("queued", "running")


@dataclass(frozen=True, slots=True)
class QualityRecord(_Record):
    """One stored check result, with up to ten failing sample rows."""

    run_id: str
    model: str
    check_name: str
    check_type: str
    severity: str
    status: str
    failing: int
    duration_ms: float | None = None
    sql: str | None = None
    samples: list[Any] = dataclasses.field(default_factory=list)
    message: str | None = None
    checked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ApiKeyRecord(_Record):
    """An API key's public facts (never its hash, except ``key_hash`` when verifying)."""

    name: str
    key_id: str
    scope: str
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    key_hash: str | None = None
    confirmed: bool = True  # false: stored, never shown (its creation was interrupted); never authenticates

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("key_hash")
        return out


@dataclass(frozen=True, slots=True)
class CatalogRecord(_Record):
    """A model as the catalogue last recorded it (after its last successful build)."""

    name: str
    kind: str
    materialize: str
    strategy: str
    relation: str | None = None
    origin: str | None = None
    config: str | None = None
    fingerprint: str | None = None
    columns: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    last_run_id: str | None = None
    last_success_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ModelRunRecord(_Record):
    run_id: str
    model: str
    status: str
    action: str | None = None
    reason: str | None = None
    relation: str | None = None
    fingerprint: str | None = None
    inputs: list[Any] | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None
    rows_affected: int | None = None
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None
    error: str | None = None
    skip_reason: str | None = None
    definition: str | None = None
    attempt: int | None = 1  # 1 for the first try; an earlier failed try is recorded 'retried'


@dataclass(frozen=True, slots=True)
class LastBuild:
    model: str
    run_id: str
    fingerprint: str | None
    inputs: list[Any] | None
    finished_at: datetime
    definition: str | None = None  # the model's own definition hash (None: built before it was recorded)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One model as the catalogue records it after a successful build."""

    name: str
    kind: str
    materialize: str
    strategy: str
    relation: str | None
    origin: str
    config: dict[str, Any]
    fingerprint: str | None
    description: str | None
    tags: tuple[str, ...]
    columns: tuple[tuple[str, str], ...] | None  # None: not persisted (ephemeral, none)


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    model: str
    version: int
    columns: list[tuple[str, str]]
    changes: dict[str, Any]
    run_id: str | None
    recorded_at: datetime


class StateStore(SchedulingState, ReliabilityState):
    """The ``interlace`` schema of one warehouse connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, *, read_only: bool = False) -> None:
        self._cursor = connection.cursor()
        self._lock = threading.RLock()
        self._in_batch = False  # inside batch(): writes join its transaction
        self._batch_thread: int | None = None  # the thread in batch(): it reads its own writes
        self._connection = connection
        self._local = threading.local()  # this thread's read cursor and snapshot depth
        # every live read cursor, for close(); a thread's cursor goes when the thread ends
        self._readers: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
        self._readers_lock = threading.Lock()  # not the write lock: readers never wait for writes
        self._catalog_version = 0
        self.read_only = read_only
        if not read_only:
            self._migrate()

    # -- setup ---------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._lock:
            cur = self._cursor
            cur.execute("CREATE SCHEMA IF NOT EXISTS interlace")
            cur.execute("CREATE TABLE IF NOT EXISTS interlace.meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            rows = cur.execute("SELECT value FROM interlace.meta WHERE key = 'state_version'").fetchall()
            current = int(rows[0][0]) if rows else 0
            if current > len(VERSIONS):
                raise StateError(
                    f"the warehouse's state schema is version {current}, newer than this interlace "
                    f"understands ({len(VERSIONS)})",
                    hint="upgrade interlace (pip install -U interlace)",
                )
            for version in range(current + 1, len(VERSIONS) + 1):
                cur.begin()
                try:
                    cur.execute(VERSIONS[version - 1])
                    cur.execute("INSERT OR REPLACE INTO interlace.meta VALUES ('state_version', ?)", [str(version)])
                    cur.commit()
                except BaseException:
                    with contextlib.suppress(duckdb.Error):  # an interrupted commit has no transaction left
                        cur.rollback()
                    raise

    def mark_interrupted(self) -> int:
        """Mark runs left ``running`` by a process that died (we hold the file lock now).

        Ownership is the process's liveness token, not its PID, which a restarted container reuses.
        """
        with self._lock:
            rows = self._cursor.execute(
                "UPDATE interlace.runs SET status = 'interrupted', finished_at = coalesce(finished_at, now()), "
                "error = coalesce(error, 'the process running it ended before the run finished') "
                "WHERE status IN ('queued', 'running') AND owner IS DISTINCT FROM ? RETURNING run_id",
                [process_token()],
            ).fetchall()
        self.mark_notebook_runs_interrupted()
        return len(rows)

    # -- runs ----------------------------------------------------------------------------------
    def queue_run(self, run_id: str, *, env: str, selector: str | None, trigger: str, total: int) -> None:
        """Record a run that is accepted but waits for its turn (every face sees a real status)."""
        self._insert_run(run_id, "queued", env=env, selector=selector, trigger=trigger, total=total)

    def start_run(self, run_id: str, *, env: str, selector: str | None, trigger: str, total: int) -> None:
        """Record a run as running (a queued record becomes running)."""
        self._insert_run(run_id, "running", env=env, selector=selector, trigger=trigger, total=total)

    def _insert_run(self, run_id: str, status: str, *, env: str, selector: str | None, trigger: str,
                    total: int) -> None:
        with self._lock:
            self._cursor.execute(
                "INSERT INTO interlace.runs (run_id, status, started_at, env, selector, trigger, pid, owner, "
                "models_total) VALUES (?, ?, now(), ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
                "status = excluded.status, started_at = excluded.started_at, pid = excluded.pid, "
                "owner = excluded.owner, models_total = excluded.models_total",
                [run_id, status, env, selector, trigger, os.getpid(), process_token(), total],
            )

    def finish_run(self, run_id: str, *, status: str, succeeded: int, failed: int, skipped: int,
                   error: str | None = None) -> None:
        with self._lock:
            self._cursor.execute(
                "UPDATE interlace.runs SET status = ?, finished_at = now(), models_succeeded = ?, "
                "models_failed = ?, models_skipped = ?, error = ? WHERE run_id = ?",
                [status, succeeded, failed, skipped, error, run_id],
            )

    def runs(self, limit: int = 20) -> list[RunRecord]:
        return [RunRecord.from_row(r) for r in
                self._dicts("SELECT * FROM interlace.runs ORDER BY started_at DESC LIMIT ?", [limit])]

    def runs_by_day(self, since: datetime) -> list[tuple[Any, int, int]]:
        """(day in UTC, finished runs, failed or interrupted runs) for each day since ``since``."""
        rows = self._dicts(
            "SELECT CAST(timezone('UTC', started_at) AS DATE) AS day, count(*) AS runs, "
            "count(*) FILTER (WHERE status IN ('failed', 'interrupted')) AS failed FROM interlace.runs "
            "WHERE started_at >= ? AND status NOT IN ('queued', 'running') GROUP BY day ORDER BY day", [since])
        return [(r["day"], int(r["runs"]), int(r["failed"])) for r in rows]

    def slowest_models(self, since: datetime, limit: int = 10) -> list[tuple[str, int, float, float]]:
        """(model, builds, mean ms, max ms) of successful builds since ``since``, slowest first."""
        rows = self._dicts(
            "SELECT model, count(*) AS builds, avg(duration_ms) AS mean_ms, max(duration_ms) AS max_ms "
            "FROM interlace.model_runs WHERE status = 'success' AND duration_ms IS NOT NULL AND started_at >= ? "
            "GROUP BY model ORDER BY mean_ms DESC, model LIMIT ?", [since, limit])
        return [(r["model"], int(r["builds"]), float(r["mean_ms"]), float(r["max_ms"])) for r in rows]

    def run(self, run_id: str) -> RunRecord | None:
        rows = self._dicts("SELECT * FROM interlace.runs WHERE run_id = ?", [run_id])
        return RunRecord.from_row(rows[0]) if rows else None

    def latest_run_id(self) -> str | None:
        """The id of the run that finished last (a plan's basis: a run that finishes after the plan
        was made makes it stale)."""
        rows = self._fetch("SELECT run_id FROM interlace.runs WHERE finished_at IS NOT NULL "
                           "ORDER BY finished_at DESC, run_id LIMIT 1", [])
        return rows[0][0] if rows else None

    # -- model runs ----------------------------------------------------------------------------
    def record_model_run(self, record: ModelRunRecord, *, cursor: duckdb.DuckDBPyConnection | None = None) -> None:
        """Append a model's outcome; with ``cursor``, inside that model's write transaction."""
        self.record_model_runs([record], cursor=cursor)

    def record_model_runs(self, records: Sequence[ModelRunRecord], *,
                          cursor: duckdb.DuckDBPyConnection | None = None) -> None:
        """Append many outcomes in one statement; with ``cursor``, inside the caller's transaction
        (a group of models built in one transaction commits their records with their data)."""
        rows = [(r.run_id, r.model, r.status, r.action, r.reason, r.relation, r.fingerprint,
                 json.dumps(r.inputs) if r.inputs is not None else None, r.started_at, r.finished_at,
                 r.duration_ms, r.rows_affected, r.inserted, r.updated, r.deleted, r.error, r.skip_reason,
                 r.definition, r.attempt) for r in records]
        if cursor is not None:
            insert_rows(cursor, "interlace.model_runs", _MODEL_RUN_COLUMNS, rows)
            return
        with self._lock:
            insert_rows(self._cursor, "interlace.model_runs", _MODEL_RUN_COLUMNS, rows)

    def model_runs(self, *, run_id: str | None = None, model: str | None = None, status: str | None = None,
                   limit: int = 100) -> list[ModelRunRecord]:
        rows = self._dicts(
            "SELECT * FROM interlace.model_runs WHERE (? IS NULL OR run_id = ?) AND (? IS NULL OR model = ?) "
            "AND (? IS NULL OR status = ?) ORDER BY coalesce(finished_at, started_at) DESC NULLS LAST LIMIT ?",
            [run_id, run_id, model, model, status, status, limit],
        )
        return [ModelRunRecord.from_row({**r, "inputs": json.loads(r["inputs"]) if r.get("inputs") else None})
                for r in rows]

    def last_builds(self) -> dict[str, LastBuild]:
        """The latest successful build of every model (read from the crash-safe run records)."""
        rows = self._fetch(  # builds only: a --quality-only check of a model is not a build of it
            "SELECT model, run_id, fingerprint, inputs, finished_at, definition FROM interlace.model_runs "
            "WHERE status = 'success' AND action = 'build' "
            "QUALIFY row_number() OVER (PARTITION BY model ORDER BY finished_at DESC) = 1",
            [],
        )
        return {m: LastBuild(m, r, f, json.loads(i) if i else None, at, d) for m, r, f, i, at, d in rows}

    def watermarked(self) -> frozenset[str]:
        """The incremental models that have a stored watermark."""
        return frozenset(r[0] for r in self._fetch("SELECT model FROM interlace.cursors", []))

    # -- cursors (incremental watermarks) --------------------------------------------------------
    def cursor_value(self, model: str) -> tuple[str, str] | None:
        """(column, watermark) of an incremental model, or None before its first build."""
        rows = self._fetch("SELECT cursor_column, value FROM interlace.cursors WHERE model = ?", [model])
        return (rows[0][0], rows[0][1]) if rows else None

    def set_cursor(self, model: str, column: str, value: str | None, *,
                   cursor: duckdb.DuckDBPyConnection | None = None) -> None:
        self._execute(
            "INSERT OR REPLACE INTO interlace.cursors (model, cursor_column, value, updated_at) VALUES (?, ?, ?, now())",
            [model, column, value], cursor,
        )

    def reset_cursor(self, model: str) -> bool:
        """Forget a model's watermark; True if there was one."""
        with self._lock:
            rows = self._cursor.execute("DELETE FROM interlace.cursors WHERE model = ? RETURNING model", [model]).fetchall()
        return bool(rows)

    # -- quality results --------------------------------------------------------------------------
    def record_quality(self, run_id: str, results: Sequence[tuple[str, Any]]) -> None:
        """Store check results, given as (model, CheckResult) pairs, in one statement."""
        if not results:
            return
        rows = [(m, r.to_dict()) for m, r in results]
        with self._lock:
            insert_rows(self._cursor, "interlace.quality_results", _QUALITY_COLUMNS, [
                (m, d["check"], d["type"], d["severity"], d["status"], d["failing"], d["duration_ms"], d["sql"],
                 json.dumps(d["samples"], default=str), d["message"]) for m, d in rows],
                constants=[("run_id", "?"), ("checked_at", "now()")], params=[run_id])

    def quality_results(self, *, model: str | None = None, latest: bool = True, limit: int = 500) -> list[QualityRecord]:
        """Check results, newest first; ``latest`` keeps the most recent result of each check."""
        rows = self._dicts(
            "SELECT * FROM interlace.quality_results WHERE (? IS NULL OR model = ?) "
            + ("QUALIFY row_number() OVER (PARTITION BY model, check_name ORDER BY checked_at DESC) = 1 " if latest else "")
            + "ORDER BY checked_at DESC, model, check_name LIMIT ?",
            [model, model, limit],
        )
        return [QualityRecord.from_row({**r, "samples": json.loads(r["samples"]) if r.get("samples") else []})
                for r in rows]

    # -- column lineage -------------------------------------------------------------------------
    def lineage_fingerprints(self) -> dict[str, str | None]:
        """The fingerprint each model's stored lineage was computed for."""
        return dict(self._fetch("SELECT DISTINCT model, fingerprint FROM interlace.column_lineage", []))

    def store_lineage(self, model: str, fingerprint: str | None,
                      edges: Sequence[tuple[str | None, str, str, str]]) -> None:
        """Replace a model's lineage edges: (column or None, source, source column, kind)."""
        self.store_lineages([(model, fingerprint, edges)])

    def lineage_edges(self) -> list[tuple[str, str | None, str, str, str]]:
        """Every stored edge: (model, column, source, source column, kind)."""
        return self._fetch("SELECT model, column_name, source, source_column, kind FROM interlace.column_lineage "
                           "ORDER BY model, column_name, source, source_column", [])

    # -- model catalogue and schema history ------------------------------------------------------
    def record_built(self, entries: Sequence[CatalogEntry], *, run_id: str) -> dict[str, SchemaVersion]:
        """Refresh the catalogue and append schema versions for the models a run built.

        Two statements for any number of models (a list parameter per column), so a run of
        thousands of models does not pay a round trip per model. Returns the new versions.
        """
        if not entries:
            return {}
        with self._lock:
            cur = self._cursor
            latest = self._latest_columns([e.name for e in entries if e.columns is not None])
            versions = {}
            for e in entries:
                if e.columns is None:
                    continue
                current = [list(c) for c in e.columns]
                before = latest.get(e.name)
                if before is not None and before[1] == current:
                    continue
                changes = _diff(before[1], current) if before else {"created": True}
                versions[e.name] = SchemaVersion(e.name, (before[0] + 1) if before else 1,
                                                 [tuple(c) for c in current], changes, run_id,  # type: ignore[misc]
                                                 datetime.now())
            with self._transaction():
                insert_rows(cur, "interlace.schema_history", _VERSION_COLUMNS, [
                    (v.model, v.version, json.dumps([list(c) for c in v.columns]), json.dumps(v.changes))
                    for v in versions.values()], constants=[("run_id", "?"), ("recorded_at", "now()")],
                    params=[run_id])
                insert_rows(cur, "interlace.models", _CATALOG_COLUMNS, [
                    (e.name, e.kind, e.materialize, e.strategy, e.relation, e.origin,
                     json.dumps(e.config, default=str), e.fingerprint,
                     json.dumps([list(c) for c in e.columns]) if e.columns is not None else None,
                     e.description, list(e.tags)) for e in entries],
                    constants=[("last_run_id", "?"), ("last_success_at", "now()"), ("updated_at", "now()")],
                    params=[run_id], replace=True)
            if not self._in_batch:  # committed now; in a batch, when the batch commits
                self._catalog_version += 1
            return versions

    @property
    def catalog_version(self) -> int:
        """Moves after every commit of this process that may have changed the catalogue (a key for
        caches of it: it never moves before the commit, so nothing is cached under it too early)."""
        return self._catalog_version

    def _latest_columns(self, models: list[str]) -> dict[str, tuple[int, list[list[str]]]]:
        if not models:
            return {}
        rows = self._cursor.execute(
            "SELECT model, version, columns FROM interlace.schema_history WHERE list_contains(?, model) "
            "QUALIFY row_number() OVER (PARTITION BY model ORDER BY version DESC) = 1",
            [models],
        ).fetchall()
        return {m: (v, json.loads(c)) for m, v, c in rows}

    def models(self) -> list[CatalogRecord]:
        return [CatalogRecord.from_row(r) for r in self._dicts("SELECT * FROM interlace.models ORDER BY name", [])]

    def model(self, name: str) -> CatalogRecord | None:
        rows = self._dicts("SELECT * FROM interlace.models WHERE name = ?", [name])
        return CatalogRecord.from_row(rows[0]) if rows else None

    # -- schema history ------------------------------------------------------------------------
    def schema_history(self, model: str, *, limit: int | None = None,
                       cursor: duckdb.DuckDBPyConnection | None = None) -> list[SchemaVersion]:
        sql = ("SELECT model, version, columns, changes, run_id, recorded_at FROM interlace.schema_history "
               "WHERE model = ? ORDER BY version DESC LIMIT ?")
        rows = self._fetch(sql, [model, limit if limit is not None else 2**31 - 1], cursor)
        return [SchemaVersion(m, v, [(c[0], c[1]) for c in json.loads(cols)], json.loads(ch), r, at)
                for m, v, cols, ch, r, at in rows]

    def schema_histories(self) -> dict[str, list[SchemaVersion]]:
        """Every model's schema history (newest first) in one read, for pages about every model."""
        rows = self._fetch("SELECT model, version, columns, changes, run_id, recorded_at FROM "
                           "interlace.schema_history ORDER BY model, version DESC", [])
        out: dict[str, list[SchemaVersion]] = {}
        for m, v, cols, ch, r, at in rows:
            out.setdefault(m, []).append(SchemaVersion(m, v, [(c[0], c[1]) for c in json.loads(cols)],
                                                       json.loads(ch), r, at))
        return out

    def store_lineages(self, updates: Sequence[tuple[str, str | None, Sequence[tuple[str | None, str, str, str]]]]
                       ) -> None:
        """:meth:`store_lineage` for many models at once, in one transaction (a project's first analysis)."""
        if not updates:
            return
        with self._lock, self._transaction():
            cur = self._cursor
            cur.execute("DELETE FROM interlace.column_lineage WHERE list_contains(?, model)",
                        [[m for m, _, _ in updates]])
            insert_rows(cur, "interlace.column_lineage", _LINEAGE_COLUMNS,
                        [(m, f, *e) for m, f, edges in updates for e in edges],
                        constants=[("computed_at", "now()")])

    # -- helpers -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for several writes of this store on this thread (the end of a run:
        check results, catalogue, schema history, lineage and the run's status commit at once)."""
        with self._lock:
            if self._in_batch:
                yield
                return
            try:
                with self._transaction():
                    self._in_batch, self._batch_thread = True, threading.get_ident()
                    try:
                        yield
                    finally:
                        self._in_batch, self._batch_thread = False, None
            finally:  # after the commit (or rollback): what readers cached may have changed
                self._catalog_version += 1

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN … COMMIT on the store's cursor (the lock held), or join the open batch."""
        if self._in_batch:
            yield
            return
        cur = self._cursor
        cur.begin()
        try:
            yield
        except BaseException:
            cur.rollback()
            raise
        cur.commit()

    def _execute(self, sql: str, params: list[Any], cursor: duckdb.DuckDBPyConnection | None) -> None:
        if cursor is not None:
            cursor.execute(sql, params)
            return
        with self._lock:
            self._cursor.execute(sql, params)

    def _fetch(self, sql: str, params: list[Any], cursor: duckdb.DuckDBPyConnection | None = None) -> list[tuple[Any, ...]]:
        if cursor is not None:
            return cursor.execute(sql, params).fetchall()
        if self._batch_thread == threading.get_ident():
            with self._lock:
                return self._cursor.execute(sql, params).fetchall()
        return self._reader().execute(sql, params).fetchall()

    def _dicts(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        if self._batch_thread == threading.get_ident():
            with self._lock:
                result = self._cursor.execute(sql, params)
                names = [d[0] for d in result.description or []]
                return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        result = self._reader().execute(sql, params)
        names = [d[0] for d in result.description or []]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def _reader(self) -> duckdb.DuckDBPyConnection:
        """This thread's read cursor: a DuckDB cursor must not be used by two threads at once,
        and reads on their own cursors run in parallel (writes keep ``self._cursor``, the lock)."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._readers_lock:
                cursor = self._local.cursor = self._connection.cursor()
                self._readers.add(cursor)
        return cursor

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads of this thread inside the block see one committed state of the warehouse, even
        if a run commits in between (nested blocks share the outer one)."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        cursor = self._reader()
        cursor.begin()
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with contextlib.suppress(duckdb.Error):  # read-only: nothing to keep
                cursor.rollback()

    def close(self) -> None:
        """Close every thread's read cursor and drop the references here (see ``Engine.close``)."""
        with self._readers_lock:
            readers = list(self._readers)
            self._readers = weakref.WeakSet()
        for reader in readers:
            with contextlib.suppress(duckdb.Error):
                reader.close()
        self._local = threading.local()
        del readers
        self._cursor.close()

    # -- user migrations and function versions ---------------------------------------------------
    def applied_migrations(self) -> list[dict[str, Any]]:
        """Every applied migration, oldest first: version, name, checksum, down_checksum, applied_at."""
        return self._dicts("SELECT version, name, checksum, down_checksum, applied_at FROM interlace.migrations "
                           "ORDER BY version", [])

    def record_migration(self, version: int, name: str, checksum: str, down_checksum: str | None, *,
                         cursor: duckdb.DuckDBPyConnection) -> None:
        self._execute("INSERT INTO interlace.migrations VALUES (?, ?, ?, ?, now())",
                      [version, name, checksum, down_checksum], cursor)

    def forget_migration(self, version: int, *, cursor: duckdb.DuckDBPyConnection) -> None:
        self._execute("DELETE FROM interlace.migrations WHERE version = ?", [version], cursor)

    def see_functions(self, versions: Sequence[tuple[str, str, str]]) -> None:
        """Record (name, checksum, path) of the functions a run is about to use, once per version."""
        if self.read_only or not versions:
            return
        with self._lock:
            self._cursor.executemany(
                "INSERT OR IGNORE INTO interlace.function_versions VALUES (?, ?, ?, now())", [list(v) for v in versions])

    def function_first_seen(self) -> dict[tuple[str, str], datetime]:
        """When each (function, checksum) was first used by a run."""
        rows = self._fetch("SELECT name, checksum, first_seen FROM interlace.function_versions", [])
        return {(n, c): at for n, c, at in rows}

    # -- API keys (hashes only; see interlace.keys) ------ ---------------------------------------
    def create_api_key(self, *, key_id: str, name: str, scope: str, key_hash: str, confirmed: bool = True) -> None:
        """Record a new key; a name may be held by one active (not revoked) confirmed key at a time.

        An unconfirmed key (stored, then its creator died before showing it) never authenticates;
        creating a key of the same name revokes it.
        """
        with self._lock:
            cur = self._cursor
            cur.begin()
            try:
                taken = cur.execute("SELECT count(*) FROM interlace.api_keys WHERE name = ? AND revoked_at IS NULL "
                                    "AND confirmed", [name]).fetchall()[0]
                if taken and taken[0]:
                    raise KeyExistsError(f"an active API key is already named '{name}'",
                                     hint=f"choose another name, or revoke it first: interlace keys revoke {name}")
                cur.execute("UPDATE interlace.api_keys SET revoked_at = now() WHERE name = ? AND revoked_at IS NULL",
                            [name])
                cur.execute("INSERT INTO interlace.api_keys (key_id, name, scope, key_hash, created_at, confirmed) "
                            "VALUES (?, ?, ?, ?, now(), ?)", [key_id, name, scope, key_hash, confirmed])
                cur.commit()
            except BaseException:
                cur.rollback()
                raise

    def confirm_api_key(self, key_id: str) -> None:
        """The key was shown to its creator: from now on it authenticates."""
        with self._lock:
            self._cursor.execute("UPDATE interlace.api_keys SET confirmed = true WHERE key_id = ?", [key_id])

    def api_keys(self, *, include_revoked: bool = False) -> list[ApiKeyRecord]:
        """Every key's name, id, scope, dates and confirmation (never the hash), oldest first."""
        return [ApiKeyRecord.from_row(r) for r in self._dicts(
            "SELECT name, key_id, scope, created_at, revoked_at, confirmed FROM interlace.api_keys "
            "WHERE ? OR revoked_at IS NULL ORDER BY created_at, name", [include_revoked])]

    def api_key(self, key_id: str) -> ApiKeyRecord | None:
        """The active, confirmed key with this id, including its hash (for verifying a presented key)."""
        rows = self._dicts("SELECT name, key_id, scope, key_hash, created_at FROM interlace.api_keys "
                           "WHERE key_id = ? AND revoked_at IS NULL AND confirmed", [key_id])
        return ApiKeyRecord.from_row(rows[0]) if rows else None

    def revoke_api_key(self, name: str) -> bool:
        """Revoke the active key called ``name``; False when there is none."""
        with self._lock:
            rows = self._cursor.execute(
                "UPDATE interlace.api_keys SET revoked_at = now() WHERE name = ? AND revoked_at IS NULL "
                "RETURNING key_id", [name]).fetchall()
            return bool(rows)


def describe_changes(changes: Mapping[str, Any], columns: Sequence[Any]) -> str:
    """One line for a schema-history entry: ``+col TYPE, -col, col: OLD → NEW``."""
    if changes.get("created"):
        return f"created with {len(columns)} columns"
    parts = [f"+{c} {t}" for c, t in changes.get("added", [])]
    parts += [f"-{c}" for c, _ in changes.get("removed", [])]
    parts += [f"{c}: {old} → {new}" for c, old, new in changes.get("retyped", [])]
    return ", ".join(parts) or "no change"


def _diff(old: Sequence[Sequence[str]], new: Sequence[Sequence[str]]) -> dict[str, Any]:
    before = {c[0]: c[1] for c in old}
    after = {c[0]: c[1] for c in new}
    return {
        "added": [[c, t] for c, t in new if c not in before],
        "removed": [[c, t] for c, t in old if c not in after],
        "retyped": [[c, before[c], t] for c, t in new if c in before and before[c] != t],
    }


# the state a promoted model carries to the target environment: its history and watermark, and
# its latest successful run (so the target's plan sees the same fingerprint and build time)
_CARRIED = (
    ("schema_history", "model", "*"),
    ("cursors", "model", "*"),
    ("models", "name", "*"),
)


def carry_model_state(cursor: duckdb.DuckDBPyConnection, *, source: str, target: str, model: str,
                      run_id: str) -> None:
    """Copy ``model``'s state from catalog ``source`` to catalog ``target`` (inside the caller's
    transaction, which writes only ``target``)."""
    src, dst = _quote(source), _quote(target)
    for table, key, columns in _CARRIED:
        cursor.execute(f"DELETE FROM {dst}.interlace.{table} WHERE {key} = ?", [model])
        cursor.execute(f"INSERT INTO {dst}.interlace.{table} SELECT {columns} FROM {src}.interlace.{table} "
                       f"WHERE {key} = ?", [model])
    cursor.execute(
        # the source's build record, action kept ('build': the target's plan reads builds only)
        f"INSERT INTO {dst}.interlace.model_runs SELECT * REPLACE (? AS run_id, ? AS reason) "
        f"FROM {src}.interlace.model_runs WHERE model = ? AND status = 'success' AND action = 'build' "
        "ORDER BY finished_at DESC LIMIT 1", [run_id, f"promoted from {source}", model])


def last_success(cursor: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, datetime]:
    """{model: finished_at of its latest successful build} in the warehouse attached as ``catalog``."""
    rows = cursor.execute(f"SELECT model, max(finished_at) FROM {_quote(catalog)}.interlace.model_runs "
                          "WHERE status = 'success' AND action = 'build' GROUP BY model").fetchall()
    return {m: at for m, at in rows}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
