"""State of notebook runs and schedules: ``notebook_runs``, ``schedules``, ``schedule_fires``.

A mixin of :class:`~interlace.state.store.StateStore` (it uses the store's cursor and lock), kept
apart so the store module stays one idea. A fire is keyed by (schedule, scheduled time): claiming
a tick is one ``INSERT ... ON CONFLICT DO NOTHING``, so a tick never runs twice — not after a
restart, not from a second scheduler on the same warehouse.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from interlace.state.liveness import is_alive, process_token

if TYPE_CHECKING:
    import threading

    import duckdb

__all__ = ["FireRecord", "NotebookRunRecord", "ScheduleRecord", "SchedulingState"]

R = TypeVar("R")


class Record:
    """A typed row (the same contract as the store's records: ``to_dict()``, ``from_row()``)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_row(cls: type[R], row: Mapping[str, Any]) -> R:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in row.items() if k in names})


@dataclass(frozen=True, slots=True)
class NotebookRunRecord(Record):
    """One ``interlace notebook run`` (or scheduled notebook) as state records it."""

    run_id: str
    notebook: str
    status: str
    parameters: dict[str, Any] | None = None
    trigger: str | None = None
    kernel: str | None = None
    pid: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None
    output_path: str | None = None
    error: str | None = None
    failed_cell: dict[str, Any] | None = None
    models: list[str] | None = None


@dataclass(frozen=True, slots=True)
class ScheduleRecord(Record):
    name: str
    kind: str
    spec: dict[str, Any]
    next_fire_at: datetime | None = None
    last_fire_at: datetime | None = None
    last_status: str | None = None
    last_run_id: str | None = None
    last_finished_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    paused: bool | None = False


@dataclass(frozen=True, slots=True)
class FireRecord(Record):
    schedule: str
    scheduled_at: datetime
    fired_at: datetime
    status: str
    run_id: str | None = None
    finished_at: datetime | None = None
    error: str | None = None
    attempt: int | None = 1
    retry_at: datetime | None = None  # status retrying: when the next attempt starts


_JSON_NB = ("parameters", "failed_cell", "models")


class SchedulingState:
    """Notebook-run and schedule records (mixed into ``StateStore``)."""

    _cursor: duckdb.DuckDBPyConnection
    _lock: threading.RLock
    _dicts: Any  # StateStore._dicts(sql, params) -> list of row dicts

    # -- notebook runs -----------------------------------------------------------------------------
    def start_notebook_run(self, run_id: str, *, notebook: str, parameters: dict[str, Any], trigger: str,
                           kernel: str, output_path: str) -> None:
        with self._lock:
            self._cursor.execute(
                "INSERT INTO interlace.notebook_runs (run_id, notebook, parameters, status, trigger, kernel, pid, "
                "owner, started_at, output_path) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, now(), ?)",
                [run_id, notebook, json.dumps(parameters, default=str), trigger, kernel, os.getpid(),
                 process_token(), output_path])

    def finish_notebook_run(self, run_id: str, *, status: str, duration_ms: float, error: str | None,
                            failed_cell: dict[str, Any] | None) -> None:
        """Record the outcome, and the models that were built while the notebook ran."""
        with self._lock:
            self._cursor.execute(
                "UPDATE interlace.notebook_runs SET status = ?, finished_at = now(), duration_ms = ?, error = ?, "
                "failed_cell = ?, models = (SELECT to_json(coalesce(list(DISTINCT m.model ORDER BY m.model), [])) "
                "FROM interlace.model_runs m, interlace.notebook_runs n WHERE n.run_id = ? AND m.status = 'success' "
                "AND m.started_at >= n.started_at) WHERE run_id = ?",
                [status, duration_ms, error, json.dumps(failed_cell) if failed_cell else None, run_id, run_id])

    def mark_notebook_runs_interrupted(self) -> int:
        """Notebook runs left ``running`` by a process that is gone (the kernel of a running
        notebook opens the warehouse too, so a live runner's record is left alone)."""
        with self._lock:
            rows = self._cursor.execute(
                "SELECT run_id, pid, owner FROM interlace.notebook_runs WHERE status = 'running'").fetchall()
            # the owner token tells a live runner from a new process that got a dead one's PID
            dead = [run_id for run_id, pid, owner in rows if not (is_alive(owner) if owner else _alive(pid))]
            if dead:
                self._cursor.execute(
                    "UPDATE interlace.notebook_runs SET status = 'interrupted', finished_at = now(), "
                    "error = coalesce(error, 'the process running it ended before the notebook finished') "
                    "WHERE list_contains(?, run_id)", [dead])
            return len(dead)

    def notebook_runs(self, *, notebook: str | None = None, limit: int = 50) -> list[NotebookRunRecord]:
        rows = self._dicts("SELECT * FROM interlace.notebook_runs WHERE (? IS NULL OR notebook = ?) "
                           "ORDER BY started_at DESC LIMIT ?", [notebook, notebook, limit])
        return [NotebookRunRecord.from_row(_loads(r, _JSON_NB)) for r in rows]

    def notebook_run(self, run_id: str) -> NotebookRunRecord | None:
        rows = self._dicts("SELECT * FROM interlace.notebook_runs WHERE run_id = ?", [run_id])
        return NotebookRunRecord.from_row(_loads(rows[0], _JSON_NB)) if rows else None

    # -- schedules ---------------------------------------------------------------------------------
    def upsert_schedule(self, name: str, *, kind: str, spec: dict[str, Any], next_fire_at: datetime | None,
                        now: datetime) -> ScheduleRecord:
        """Create the schedule (``created_at`` = ``now``) or refresh its definition; returns the record."""
        with self._lock:
            self._cursor.execute(
                "INSERT INTO interlace.schedules (name, kind, spec, next_fire_at, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, "
                "spec = excluded.spec, next_fire_at = excluded.next_fire_at, updated_at = excluded.updated_at",
                [name, kind, json.dumps(spec, default=str), next_fire_at, now, now])
        record = self.schedule(name)
        assert record is not None
        return record

    def schedules(self) -> list[ScheduleRecord]:
        return [ScheduleRecord.from_row(_loads(r, ("spec",)))
                for r in self._dicts("SELECT * FROM interlace.schedules ORDER BY name", [])]

    def schedule(self, name: str) -> ScheduleRecord | None:
        rows = self._dicts("SELECT * FROM interlace.schedules WHERE name = ?", [name])
        return ScheduleRecord.from_row(_loads(rows[0], ("spec",))) if rows else None

    def set_next_fire(self, name: str, next_fire_at: datetime | None) -> None:
        with self._lock:
            self._cursor.execute("UPDATE interlace.schedules SET next_fire_at = ? WHERE name = ?",
                                 [next_fire_at, name])

    def claim_fire(self, schedule: str, scheduled_at: datetime, *, now: datetime) -> bool:
        """Claim the tick (``schedule``, ``scheduled_at``); False when it was claimed before."""
        with self._lock:
            rows = self._cursor.execute(
                "INSERT INTO interlace.schedule_fires (schedule, scheduled_at, fired_at, status) "
                "VALUES (?, ?, ?, 'started') ON CONFLICT DO NOTHING RETURNING schedule",
                [schedule, scheduled_at, now]).fetchall()
            if rows:
                self._cursor.execute(
                    "UPDATE interlace.schedules SET last_fire_at = ?, last_status = 'started', last_run_id = NULL, "
                    "last_finished_at = NULL, updated_at = ? WHERE name = ?", [scheduled_at, now, schedule])
            return bool(rows)

    def record_fire(self, schedule: str, scheduled_at: datetime, *, status: str, run_id: str | None = None,
                    error: str | None = None, finished: bool = False, attempt: int | None = None,
                    retry_at: datetime | None = None) -> None:
        """Update a claimed tick (its run, then its outcome) and the schedule's last status."""
        with self._lock:
            self._cursor.execute(
                "UPDATE interlace.schedule_fires SET status = ?, run_id = coalesce(?, run_id), error = ?, "
                "finished_at = CASE WHEN ? THEN now() END, attempt = coalesce(?, attempt), retry_at = ? "
                "WHERE schedule = ? AND scheduled_at = ?",
                [status, run_id, error, finished, attempt, retry_at, schedule, scheduled_at])
            self._cursor.execute(
                "UPDATE interlace.schedules SET last_status = ?, last_run_id = coalesce(?, last_run_id), "
                "last_finished_at = CASE WHEN ? THEN now() END, updated_at = now() "
                "WHERE name = ? AND last_fire_at = ?", [status, run_id, finished, schedule, scheduled_at])

    def set_paused(self, name: str, paused: bool, *, next_fire_at: datetime | None) -> bool:
        """Pause or resume a schedule (resuming sets its next fire); False for an unknown one."""
        with self._lock:
            rows = self._cursor.execute(
                "UPDATE interlace.schedules SET paused = ?, next_fire_at = coalesce(?, next_fire_at), "
                "updated_at = now() WHERE name = ? RETURNING name", [paused, next_fire_at, name]).fetchall()
        return bool(rows)

    def pending_fires(self) -> list[FireRecord]:
        """Ticks waiting to (re)start: ``retrying`` after a failed attempt, or ``queued`` (overlap)."""
        return [FireRecord.from_row(r) for r in self._dicts(
            "SELECT * FROM interlace.schedule_fires WHERE status IN ('retrying', 'queued') "
            "ORDER BY scheduled_at", [])]

    def fires(self, schedule: str | None = None, *, limit: int = 100) -> list[FireRecord]:
        return [FireRecord.from_row(r) for r in self._dicts(
            "SELECT * FROM interlace.schedule_fires WHERE (? IS NULL OR schedule = ?) "
            "ORDER BY scheduled_at DESC LIMIT ?", [schedule, schedule, limit])]

    def unfinished_fires(self) -> list[FireRecord]:
        """Ticks claimed but never finished (the scheduler stopped while they ran)."""
        return [FireRecord.from_row(r) for r in self._dicts(
            "SELECT * FROM interlace.schedule_fires WHERE status IN ('started', 'running') ORDER BY scheduled_at",
            [])]


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _loads(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {**row, **{k: json.loads(row[k]) for k in keys if isinstance(row.get(k), str)}}
