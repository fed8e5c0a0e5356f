"""One worker of a shared build: claim a model from the queue, build it, repeat.

Every worker opens the same project against the same DuckLake (PostgreSQL catalog, shared data
path) with its own run-state file. The first one writes its plan to the queue
(:mod:`interlace.workers.queue`); all of them then build the queue's models — each one as a
one-step plan applied on this workspace, so a model is built, checked and recorded exactly as in
a single-process run — until no model is left pending or running.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from interlace.config import LoadedConfig
from interlace.errors import InvalidOptionError
from interlace.kinds import is_in_memory
from interlace.options import RunOptions
from interlace.planner.plan import Plan
from interlace.workers.queue import Claim, Queue, QueueCounts
from interlace.workspace import Workspace

__all__ = ["WorkerOptions", "WorkerReport", "queue_dsn", "run_worker"]


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """``interlace worker``: which queue, which models (for the worker that writes the plan)."""

    queue: str = "default"
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    force: bool = False
    lease_seconds: float = 30.0  # a dead worker's model is taken again this long after its last renewal
    poll_seconds: float = 0.2  # how often an idle worker looks for a model whose upstream is done


@dataclass(frozen=True, slots=True)
class WorkerReport:
    worker: str
    queue: str
    planned: bool  # this worker wrote the queue's plan
    built: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    counts: QueueCounts = field(default_factory=QueueCounts)

    @property
    def ok(self) -> bool:
        return not self.counts.failed and not self.counts.skipped and not self.counts.open


def queue_dsn(loaded: LoadedConfig) -> str:
    """The PostgreSQL database that holds the queue: the DuckLake catalog's."""
    main = loaded.default_connection
    name = loaded.config.default_connection
    if main.type != "ducklake" or main.metadata != "postgres" or not main.dsn:
        raise InvalidOptionError(
            f"interlace worker needs a DuckLake warehouse with a PostgreSQL catalog; the default "
            f"connection '{name}' is type {main.type}"
            + (f" with metadata: {main.metadata}" if main.type == "ducklake" else ""),
            hint=f"set connections.{name}: {{type: ducklake, metadata: postgres, dsn: ..., data_path: ...}} "
            "(every worker must reach the same catalog and data path)")
    return main.dsn


def run_worker(ws: Workspace, options: WorkerOptions, *, worker: str,
               say: Callable[[str], None] = lambda line: None) -> WorkerReport:
    """Build models of ``options.queue`` until none is left; returns what this worker did."""
    queue = Queue(queue_dsn(ws.loaded), options.queue, worker=worker, lease_seconds=options.lease_seconds)
    try:
        planned = not queue.exists() and queue.offer(_plan(ws, options))
        if planned:
            say(f"{worker}: wrote the plan of queue '{options.queue}'")
        built: list[str] = []
        failed: list[str] = []
        while True:
            claim = queue.claim()
            if claim is None:
                counts = queue.counts()
                if not counts.open:
                    return WorkerReport(worker, options.queue, planned, tuple(built), tuple(failed), counts)
                time.sleep(options.poll_seconds)
                continue
            error = _build(ws, queue, claim, options)
            queue.finish(claim.step.model, error=error)
            (failed if error else built).append(claim.step.model)
            say(f"{worker}: {claim.step.model} {'failed: ' + error if error else 'built'}"
                + (f" (attempt {claim.attempts})" if claim.attempts > 1 else ""))
    finally:
        queue.close()


def _plan(ws: Workspace, options: WorkerOptions) -> Plan:
    plan = ws.plan(RunOptions(select=options.select, exclude=options.exclude, force=options.force))
    shared = [s.model for s in plan.builds if is_in_memory(ws.models[s.model])]
    if shared:
        raise InvalidOptionError(
            f"models {', '.join(shared)} keep their result in memory, which other worker processes "
            "cannot read", hint="materialize them as tables (materialize='table') to build them with workers")
    return plan


def _build(ws: Workspace, queue: Queue, claim: Claim, options: WorkerOptions) -> str | None:
    """Build one claimed model while a heartbeat renews its lease; the error text or None."""
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(options.lease_seconds / 3):
            queue.renew(claim.step.model)

    beat = threading.Thread(target=heartbeat, name=f"lease-{claim.step.model}", daemon=True)
    beat.start()
    try:
        step = claim.step
        plan = Plan(steps=(dataclasses.replace(step, upstream=()),),  # its upstream is done
                    selected=frozenset({step.model}),
                    options=RunOptions(select=(step.model,), force=options.force))
        result = ws.apply(plan, trigger="worker")
        outcome = result.results.get(step.model)
        if outcome is None or outcome.status == "success":
            return None
        return str(outcome.error or outcome.skip_reason or outcome.status)
    finally:
        stop.set()
        beat.join()
