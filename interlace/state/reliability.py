"""State of the reliability machinery: ``circuit_breakers`` and ``dead_letters``.

A mixin of :class:`~interlace.state.store.StateStore` (it uses the store's cursor and lock), like
:mod:`interlace.state.scheduling`. A breaker row per connection says whether models writing
through it may run; a dead letter is a failure that exhausted its retries, kept until someone
retries or resolves it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from interlace.state.scheduling import Record, _loads

if TYPE_CHECKING:
    import threading

    import duckdb

__all__ = ["BreakerRecord", "DeadLetterRecord", "ReliabilityState"]


@dataclass(frozen=True, slots=True)
class BreakerRecord(Record):
    connection: str
    status: str  # closed | open | half_open
    failures: int
    opened_at: datetime | None = None
    last_error: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeadLetterRecord(Record):
    id: int
    kind: str  # schedule | model
    status: str  # open | resolved
    attempts: int
    created_at: datetime
    schedule: str | None = None
    model: str | None = None
    scheduled_at: datetime | None = None
    run_id: str | None = None
    error: str | None = None
    payload: dict[str, Any] | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    retry_run_ids: list[str] | None = None


class ReliabilityState:
    """Breaker and dead-letter records (mixed into ``StateStore``)."""

    _cursor: duckdb.DuckDBPyConnection
    _lock: threading.RLock
    _dicts: Any  # StateStore._dicts(sql, params) -> list of row dicts

    # -- circuit breakers --------------------------------------------------------------------------
    def breaker(self, connection: str) -> BreakerRecord | None:
        rows = self._dicts("SELECT * FROM interlace.circuit_breakers WHERE connection = ?", [connection])
        return BreakerRecord.from_row(rows[0]) if rows else None

    def breakers(self) -> list[BreakerRecord]:
        return [BreakerRecord.from_row(r) for r in
                self._dicts("SELECT * FROM interlace.circuit_breakers ORDER BY connection", [])]

    def save_breaker(self, record: BreakerRecord) -> None:
        with self._lock:
            self._cursor.execute(
                "INSERT INTO interlace.circuit_breakers (connection, status, failures, opened_at, last_error, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (connection) DO UPDATE SET "
                "status = excluded.status, failures = excluded.failures, opened_at = excluded.opened_at, "
                "last_error = excluded.last_error, updated_at = excluded.updated_at",
                [record.connection, record.status, record.failures, record.opened_at, record.last_error,
                 record.updated_at])

    # -- dead letters ------------------------------------------------------------------------------
    def add_dead_letter(self, *, kind: str, attempts: int, error: str | None, payload: dict[str, Any],
                        now: datetime, schedule: str | None = None, model: str | None = None,
                        scheduled_at: datetime | None = None, run_id: str | None = None) -> int:
        with self._lock:
            row = self._cursor.execute(
                "INSERT INTO interlace.dead_letters (kind, schedule, model, scheduled_at, run_id, attempts, "
                "error, payload, status, created_at, retry_run_ids) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, '[]') RETURNING id",
                [kind, schedule, model, scheduled_at, run_id, attempts, error,
                 json.dumps(payload, default=str), now]).fetchone()
        assert row is not None
        return int(row[0])

    def dead_letters(self, *, status: str | None = None, limit: int = 100) -> list[DeadLetterRecord]:
        return [DeadLetterRecord.from_row(_loads(r, ("payload", "retry_run_ids"))) for r in self._dicts(
            "SELECT * FROM interlace.dead_letters WHERE (? IS NULL OR status = ?) ORDER BY id DESC LIMIT ?",
            [status, status, limit])]

    def dead_letter(self, letter_id: int) -> DeadLetterRecord | None:
        rows = self._dicts("SELECT * FROM interlace.dead_letters WHERE id = ?", [letter_id])
        return DeadLetterRecord.from_row(_loads(rows[0], ("payload", "retry_run_ids"))) if rows else None

    def retried_dead_letter(self, letter_id: int, *, run_id: str, error: str | None) -> None:
        """Record a retry's run (and its error, if it failed too)."""
        with self._lock:
            self._cursor.execute(
                "UPDATE interlace.dead_letters SET attempts = attempts + 1, run_id = ?, "
                "error = coalesce(?, error), retry_run_ids = list_append("
                "CAST(retry_run_ids AS VARCHAR[]), ?)::JSON WHERE id = ?",
                [run_id, error, run_id, letter_id])

    def resolve_dead_letter(self, letter_id: int, *, resolution: str, now: datetime) -> None:
        with self._lock:
            self._cursor.execute(
                "UPDATE interlace.dead_letters SET status = 'resolved', resolved_at = ?, resolution = ? "
                "WHERE id = ?", [now, resolution, letter_id])
