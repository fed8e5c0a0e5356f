"""The single writer of stream tables: group commit of many publishes in one DuckDB transaction.

``submit()`` queues a request and returns a future; one thread drains the queue, checks every
event, applies schema changes, drops events whose ``_event_id`` is already stored (so a retry
after a crash never duplicates), inserts the rest, runs each request's ``within`` hook (e.g. a
watched file recorded as ingested), and commits — only then are the futures resolved. DuckDB
writes its WAL at commit, so a publish that returned survives a SIGKILL of the process.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from interlace.errors import InterlaceError
from interlace.streams.spec import StreamSpec
from interlace.streams.table import (
    META_COLUMNS,
    EventPlan,
    Invalid,
    TableSchema,
    check_event,
    quote,
)

__all__ = ["EventsRejected", "PublishResult", "StreamWriter"]

log = logging.getLogger("interlace.streams")

_ARROW = {"BIGINT": pa.int64(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_()}
_TYPE_NAMES = {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ", "INTEGER": "BIGINT", "FLOAT": "DOUBLE"}
MAX_BATCH_EVENTS = 20_000


class EventsRejected(InterlaceError):
    """Events that do not fit their stream (``on_invalid="reject"``): nothing of the request kept."""

    code = "STREAM_EVENT_INVALID"

    def __init__(self, stream: str, invalid: Sequence[Invalid]) -> None:
        first = invalid[0]
        more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
        super().__init__(f"{first}{more}; no event of the request was stored",
                         origin=f"stream '{stream}'",
                         hint="send values of the declared types (nothing is cast), or set the "
                              "stream's on_invalid: dead_letter to keep the valid events")
        self.stream = stream
        self.invalid = tuple(invalid)


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What one publish stored: new events, duplicates skipped, events dead-lettered."""

    stream: str
    accepted: int
    duplicates: int = 0
    dead_lettered: int = 0
    first_offset: int | None = None
    last_offset: int | None = None
    invalid: tuple[Invalid, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "accepted": self.accepted, "duplicates": self.duplicates,
                "dead_lettered": self.dead_lettered, "first_offset": self.first_offset,
                "last_offset": self.last_offset, "invalid": [i.to_dict() for i in self.invalid]}


@dataclass(eq=False)
class _Request:
    stream: str
    events: list[Any]
    source: str
    received_at: datetime
    within: Callable[[duckdb.DuckDBPyConnection], None] | None
    on_invalid: str | None = None  # overrides the stream's (adapters cannot answer "rejected")
    future: Future[PublishResult] = field(default_factory=Future)


@dataclass
class _Pending:
    """One stream's rows of the batch being committed."""

    rows: list[tuple[EventPlan, str, datetime, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)


class StreamWriter:
    """Owns the stream tables of one warehouse (one per process: see the module docstring)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, specs: Mapping[str, StreamSpec], *,
                 schema: str, on_commit: Callable[[str, int, int], None] | None = None) -> None:
        self.specs = dict(specs)
        self.schema = schema
        self._cur = connection.cursor()
        self._on_commit = on_commit
        self._tables: dict[str, TableSchema] = {}
        self._next: dict[str, int] = {}
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._cur_lock = threading.Lock()  # the cursor: the writer thread, and add() from others
        self.batches = 0  # committed transactions (for the benchmark: events per commit)
        for name in self.specs:
            self._load(name, create=True)

    def add(self, spec: StreamSpec) -> None:
        """Start writing a stream declared after the writer was made (creates its table)."""
        with self._cur_lock:
            self.specs[spec.name] = spec
            self._load(spec.name, create=True)

    def relation(self, stream: str) -> str:
        return f"{quote(self.schema)}.{quote(stream)}"

    # -- table setup ---------------------------------------------------------------------------
    def _load(self, name: str, *, create: bool) -> None:
        """Read (and with ``create``, make) the table's columns and next offset."""
        spec, cur, rel = self.specs[name], self._cur, self.relation(name)
        if create:
            declared = spec.declared or {}
            cols = [*META_COLUMNS, *declared.items()]
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(self.schema)}")
            cur.execute(f"CREATE TABLE IF NOT EXISTS {rel} ("
                        + ", ".join(f"{quote(c)} {t}" for c, t in cols) + ")")
        found = self._columns(name)
        if create:
            for column, kind in (spec.declared or {}).items():
                if column not in found:  # a field declared since the table was made
                    cur.execute(f"ALTER TABLE {rel} ADD COLUMN {quote(column)} {kind}")
                    found[column] = kind
        meta = {c for c, _ in META_COLUMNS}
        self._tables[name] = TableSchema({c: t for c, t in found.items() if c not in meta})
        top = cur.execute(f"SELECT coalesce(max(_offset), 0) FROM {rel}").fetchall()[0][0]
        self._next[name] = int(top) + 1

    def _columns(self, name: str) -> dict[str, str]:
        rows = self._cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [self.schema, name]).fetchall()
        return {c: _TYPE_NAMES.get(t, t) for c, t in rows}

    def columns(self, stream: str) -> dict[str, str]:
        """Every column of the stream's table (meta columns first) as the writer knows them."""
        return {**dict(META_COLUMNS), **self._tables[stream].columns}

    # -- publishing ----------------------------------------------------------------------------
    def submit(self, stream: str, events: Sequence[Any], *, source: str = "python",
               within: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
               on_invalid: str | None = None) -> Future[PublishResult]:
        """Queue ``events``; the future resolves once they are committed (or refused)."""
        if stream not in self.specs:
            raise KeyError(stream)
        request = _Request(stream, list(events), source, datetime.now(UTC), within, on_invalid)
        self._ensure_thread()
        self._queue.put(request)
        return request.future

    def publish(self, stream: str, events: Sequence[Any], *, source: str = "python",
                timeout: float | None = None) -> PublishResult:
        return self.submit(stream, events, source=source).result(timeout)

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="interlace-stream-writer",
                                                daemon=True)
                self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then stop the thread."""
        with self._start_lock:
            thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)
        self._cur.close()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, size, stop = [first], len(first.events), False
            while size < MAX_BATCH_EVENTS:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
                size += len(more.events)
            with self._cur_lock:
                self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Request]) -> None:
        cur = self._cur
        pending: dict[str, _Pending] = {}
        dead: list[tuple[Any, ...]] = []
        planned: list[tuple[_Request, list[EventPlan], tuple[Invalid, ...]]] = []
        touched: set[str] = set()
        try:
            cur.begin()
            for request in batch:
                outcome = self._plan(request, dead)
                if outcome is None:
                    continue
                touched.add(request.stream)
                planned.append((request, *outcome))
            results = self._insert(planned, pending)
            if dead:
                cur.executemany(
                    "INSERT INTO interlace.stream_dead_letters (stream, consumer, \"offset\", event_id,"
                    " source, payload, reason, dead_at) VALUES (?, NULL, NULL, ?, ?, ?, ?, ?)", dead)
            for request, _, _ in planned:
                if request.within is not None:
                    request.within(cur)
            cur.commit()
        except BaseException as exc:
            try:
                cur.rollback()
            except duckdb.Error:
                log.debug("rollback after a failed stream commit failed", exc_info=True)
            for name in touched:  # forget schema changes and offsets of the rolled back batch
                self._load(name, create=False)
            if not isinstance(exc, Exception):
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)
                raise
            pending_requests = [r for r in batch if not r.future.done()]
            if len(pending_requests) > 1:  # one bad request must not fail the others: one by one
                for request in pending_requests:
                    self._commit([request])
                return
            for request in pending_requests:
                log.warning("stream %s: a publish failed: %s", request.stream, exc)
                request.future.set_exception(exc)
            return
        self.batches += 1
        for request, result in results:
            request.future.set_result(result)
        if self._on_commit is not None:
            for name, rows in pending.items():
                if rows.rows:
                    self._on_commit(name, len(rows.rows), self._next[name] - 1)

    def _plan(self, request: _Request, dead: list[tuple[Any, ...]],
              ) -> tuple[list[EventPlan], tuple[Invalid, ...]] | None:
        """Check a request's events against a copy of the schema; apply its changes if kept."""
        spec = self.specs[request.stream]
        table = self._tables[request.stream]
        trial = TableSchema(dict(table.columns))
        plans: list[EventPlan] = []
        invalid: list[Invalid] = []
        for index, event in enumerate(request.events):
            outcome = check_event(spec, trial, index, event)
            if isinstance(outcome, Invalid):
                invalid.append(outcome)
                continue
            trial.columns.update(outcome.add)
            trial.columns.update(outcome.widen)
            plans.append(outcome)
        if invalid and (request.on_invalid or spec.config.on_invalid) == "reject":
            request.future.set_exception(EventsRejected(request.stream, invalid))
            return None
        rel = self.relation(request.stream)
        for column, kind in trial.columns.items():
            old = table.columns.get(column)
            if old is None:
                self._cur.execute(f"ALTER TABLE {rel} ADD COLUMN {quote(column)} {kind}")
            elif old != kind:
                self._cur.execute(f"ALTER TABLE {rel} ALTER COLUMN {quote(column)} TYPE {kind}")
        table.columns = trial.columns
        for bad in invalid:
            payload = request.events[bad.index]
            event_id = payload.get("_event_id") if isinstance(payload, dict) else None
            dead.append((request.stream, None if event_id is None else str(event_id), request.source,
                         json.dumps(payload, default=str), str(bad), request.received_at))
        return plans, tuple(invalid)

    def _insert(self, planned: list[tuple[_Request, list[EventPlan], tuple[Invalid, ...]]],
                pending: dict[str, _Pending]) -> list[tuple[_Request, PublishResult]]:
        """Drop already-stored ids, give offsets, insert each stream's rows in one statement."""
        existing: dict[str, set[str]] = {}
        for stream in {r.stream for r, _, _ in planned}:
            ids = [p.event_id for r, plans, _ in planned if r.stream == stream for p in plans
                   if p.event_id is not None]
            existing[stream] = self._stored(stream, ids)
        results = []
        for request, plans, invalid in planned:
            rows = pending.setdefault(request.stream, _Pending())
            seen, first, duplicates = existing[request.stream], None, 0
            for plan in plans:
                event_id = plan.event_id or uuid.uuid4().hex
                if event_id in seen or event_id in rows.ids:
                    duplicates += 1
                    continue
                rows.ids.add(event_id)
                offset = self._next[request.stream]
                self._next[request.stream] = offset + 1
                first = offset if first is None else first
                rows.rows.append((plan, event_id, request.received_at, request.source))
            accepted = len(plans) - duplicates
            last = None if first is None else first + accepted - 1
            results.append((request, PublishResult(request.stream, accepted, duplicates, len(invalid),
                                                   first, last, invalid)))
        for stream, rows in pending.items():
            if rows.rows:
                self._write_rows(stream, rows, self._next[stream] - len(rows.rows))
        return results

    def _stored(self, stream: str, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = self._cur.execute(
            f"SELECT _event_id FROM {self.relation(stream)} "
            "WHERE _event_id IN (SELECT unnest(CAST(? AS VARCHAR[])))", [ids]).fetchall()
        return {r[0] for r in rows}

    def _write_rows(self, stream: str, rows: _Pending, first_offset: int) -> None:
        columns = self._tables[stream].columns
        data: dict[str, pa.Array] = {
            "_offset": pa.array(range(first_offset, first_offset + len(rows.rows)), pa.int64()),
            "_event_id": pa.array([r[1] for r in rows.rows], pa.string()),
            "_received_at": pa.array([r[2] for r in rows.rows], pa.timestamp("us", tz="UTC")),
            "_source": pa.array([r[3] for r in rows.rows], pa.string()),
        }
        used = {k for r in rows.rows for k in r[0].row}
        for column in (c for c in columns if c in used):
            kind = columns[column]
            values = [r[0].row.get(column) for r in rows.rows]
            data[column] = pa.array(values, _ARROW.get(kind, pa.string()))
        select = ", ".join(quote(c) if c.startswith("_") or columns[c] in _ARROW
                           else f"CAST({quote(c)} AS {columns[c]}) AS {quote(c)}" for c in data)
        self._cur.register("__interlace_events", pa.table(data))
        try:
            self._cur.execute(f"INSERT INTO {self.relation(stream)} BY NAME "
                              f"SELECT {select} FROM __interlace_events")
        finally:
            self._cur.unregister("__interlace_events")
