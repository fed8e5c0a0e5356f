"""Lake maintenance on a schedule: ``schedules.<name>.lake`` checkpoints and expires a DuckLake.

A schedule whose target is ``lake:`` (instead of ``notebook:`` or ``selector:``) runs, at each
tick, what ``interlace lake checkpoint`` and ``interlace lake expire --older-than AGE`` run by
hand: ``checkpoint`` flushes rows inlined in the catalog to Parquet and merges small files,
``expire_older_than`` forgets the snapshots older than that age and deletes the files no snapshot
reads. It fires, retries, dead-letters and notifies like any other schedule.

Core: imports no face library.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from interlace.fires import Outcome
from interlace.retry import error_names

if TYPE_CHECKING:
    from interlace.workspace import Workspace

__all__ = ["LakeTask", "run_lake_task"]

log = logging.getLogger("interlace.scheduler")
_ONE_AT_A_TIME = threading.Lock()  # two checkpoints of one lake at once conflict in its catalog


@dataclass(frozen=True, slots=True)
class LakeTask:
    """What one fire of a lake schedule does: a checkpoint, an expiry, or both (in that order)."""

    checkpoint: bool = False
    expire_older_than: timedelta | None = None

    def describe(self) -> str:
        from interlace.schedules import format_duration

        parts = ["checkpoint"] if self.checkpoint else []
        if self.expire_older_than is not None:
            parts.append(f"expire snapshots older than {format_duration(self.expire_older_than)}")
        return "lake: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        age = self.expire_older_than
        return {"checkpoint": self.checkpoint,
                "expire_older_than_s": None if age is None else age.total_seconds()}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> LakeTask:
        seconds = raw.get("expire_older_than_s")
        return cls(bool(raw.get("checkpoint")), None if seconds is None else timedelta(seconds=seconds))


def run_lake_task(ws: Workspace, task: LakeTask, now: datetime) -> Outcome:
    """Run ``task`` on ``ws``'s lake; the outcome a schedule fire (or a dead-letter retry) records.
    One task runs at a time in a process (two schedules due at the same tick queue)."""
    with _ONE_AT_A_TIME:
        return _run(ws, task, now)


def _run(ws: Workspace, task: LakeTask, now: datetime) -> Outcome:
    done: list[str] = []
    try:
        if task.checkpoint:
            point = ws.lake_checkpoint()
            done.append(f"checkpoint (snapshot {point.snapshot_before} -> {point.snapshot_after})")
        if task.expire_older_than is not None:
            gone = ws.lake_expire(now - task.expire_older_than)
            kept = f", kept from snapshot {gone.kept_from} for table_changes" if gone.kept_from is not None else ""
            done.append(f"expired {len(gone.expired)} snapshot(s), deleted {gone.files_deleted} file(s){kept}")
    except Exception as exc:  # noqa: BLE001 - a failed maintenance is a failed fire, never a crash
        what = "; ".join(done + [f"failed: {exc}"])
        return Outcome("failed", None, f"lake maintenance {what}", frozenset(error_names(exc)))
    log.info("lake maintenance: %s", "; ".join(done))
    return Outcome("success", None, None)

