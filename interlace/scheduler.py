"""The scheduler: fires the project's schedules, at most once per tick, durably.

Each :meth:`Scheduler.tick` (``now`` injectable, so tests drive a fake clock) looks at every
schedule whose ``next_fire_at`` has come:

- it takes the latest tick at or before ``now``; earlier missed ticks are coalesced into it;
- that tick runs if it is at most ``misfire_grace`` late (catch-up after downtime), else it is
  recorded as ``missed``; ticks from before a schedule existed never run;
- the tick is claimed in ``schedule_fires`` under the key (schedule, scheduled time) before it
  runs, so a restart or a second scheduler never runs it twice;
- while the schedule's previous fire still runs, the tick is recorded ``skipped`` (overlap: skip).

Model schedules run through the workspace's run manager — planned with ``force=True`` (never
skipped by change detection) and started with ``trigger="schedule:<name>"``. Notebook schedules
run through the ``notebook_runner`` a face provides (papermill lives outside core).

Core: imports no face library.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from interlace.errors import InterlaceError, UnknownScheduleError, did_you_mean
from interlace.options import RunOptions
from interlace.schedules import ScheduleDef, project_schedules

if TYPE_CHECKING:
    from interlace.runs import RunHandle
    from interlace.state.scheduling import NotebookRunRecord
    from interlace.workspace import Workspace

__all__ = ["Fire", "NotebookRunner", "Scheduler"]

log = logging.getLogger("interlace.scheduler")
RETENTION_EVERY = timedelta(minutes=1)  # how often a ticking scheduler applies stream retention
T = TypeVar("T")
NotebookRunner = Callable[["Workspace", ScheduleDef, str], "NotebookRunRecord"]


@dataclass(frozen=True, slots=True)
class Fire:
    """What one tick of one schedule did (``status``: running | missed | skipped | failed)."""

    schedule: str
    scheduled_at: datetime
    status: str
    run_id: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "scheduled_at": self.scheduled_at.isoformat(), "status": self.status,
                "run_id": self.run_id, "error": self.error}


@dataclass
class _Active:
    scheduled_at: datetime
    handle: RunHandle | None = None
    future: Future[NotebookRunRecord] | None = None

    def outcome(self) -> tuple[str, str | None, str | None] | None:
        """(status, run id, error) once finished, else None."""
        if self.handle is not None:
            if not self.handle.done:
                return None
            result, error = self.handle.result, self.handle.error
            failed = sorted(n for n, r in result.results.items() if r.status == "failed") if result else []
            message = str(error) if error else (f"models failed: {', '.join(failed)}" if failed else None)
            return self.handle.status, self.handle.run_id, message
        assert self.future is not None
        if not self.future.done():
            return None
        exc = self.future.exception()
        if exc is not None:
            return "failed", None, str(exc)
        record = self.future.result()
        return record.status, record.run_id, record.error


class Scheduler:
    """Fires one workspace's schedules; ``tick()`` once, or ``start()`` a thread that ticks."""

    def __init__(self, workspace: Workspace, *, call: Callable[[Callable[[Workspace], Any]], Any] | None = None,
                 notebook_runner: NotebookRunner | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._ws = workspace
        self._call = call or (lambda work: work(workspace))
        self._run_notebook = notebook_runner
        self._now = clock or (lambda: datetime.now(UTC))
        self._defs: dict[str, ScheduleDef] = {}
        self.errors: dict[str, str] = {}  # schedules that could not be loaded, and why
        self._active: dict[str, _Active] = {}
        self._notebooks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="interlace-notebook")
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._mutex = threading.RLock()
        self.started_at: datetime | None = None
        self.last_tick_at: datetime | None = None
        self.last_error: str | None = None
        self.ticks = 0
        self._retained_at: datetime | None = None
        self.retained: dict[str, int] = {}  # events the last retention pass deleted, per stream

    # -- definitions -------------------------------------------------------------------------------
    def load(self, now: datetime | None = None) -> dict[str, ScheduleDef]:
        """Read the schedules of the project and sync them to state: a new or changed schedule
        fires first at its next tick after ``now`` (never at one from before it existed)."""
        now = now or self._now()
        with self._mutex:
            errors: dict[str, str] = {}
            defs = self._call(lambda ws: project_schedules(ws.root, ws.loaded, ws.reload().models, errors=errors))
            for definition in defs.values():
                self._call(partial(self._sync, definition=definition, now=now))
            self._defs, self.errors = defs, errors
            self._call(self._interrupted)
            for name, message in errors.items():
                log.error("schedule %s is not loaded: %s", name, message)
            return dict(defs)

    @staticmethod
    def _sync(ws: Workspace, *, definition: ScheduleDef, now: datetime) -> None:
        record = ws.state.schedule(definition.name)
        spec = definition.to_dict()
        if record is None or record.spec != spec or record.next_fire_at is None:
            ws.state.upsert_schedule(definition.name, kind=definition.kind, spec=spec,
                                     next_fire_at=definition.timing.next_after(now), now=now)

    def _interrupted(self, ws: Workspace) -> None:
        """Fires a scheduler left unfinished when its process ended: recorded ``interrupted`` (their
        tick stays claimed, so it is neither lost from the record nor run again)."""
        mine = {(name, a.scheduled_at) for name, a in self._active.items()}
        for fire in ws.state.unfinished_fires():
            if (fire.schedule, fire.scheduled_at) in mine or (fire.run_id and ws.runs.is_active(fire.run_id)):
                continue
            ws.state.record_fire(fire.schedule, fire.scheduled_at, status="interrupted", finished=True,
                                 error="the scheduler stopped before this fire finished")

    @property
    def definitions(self) -> dict[str, ScheduleDef]:
        return dict(self._defs)

    # -- ticking -----------------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> list[Fire]:
        """Fire every schedule that is due at ``now``; returns what each due schedule did."""
        now = now or self._now()
        with self._mutex:
            self._reap()
            fired = []
            for definition in self._defs.values():
                try:
                    fire = self._tick_one(definition, now)
                except Exception as exc:  # one broken schedule never stops the others
                    log.exception("schedule %s failed to fire", definition.name)
                    self.last_error = f"{definition.name}: {exc}"
                    continue
                if fire is not None:
                    fired.append(fire)
            self.last_tick_at, self.ticks = now, self.ticks + 1
            self._retention(now)
            return fired

    def _retention(self, now: datetime) -> None:
        """Stream retention, at most once a minute: old, acknowledged events are deleted."""
        if self._retained_at is not None and now - self._retained_at < RETENTION_EVERY:
            return
        self._retained_at = now
        try:
            self.retained = self._call(lambda ws: ws.enforce_stream_retention(now))
        except Exception as exc:  # noqa: BLE001 - retention never stops the schedules
            log.exception("stream retention failed")
            self.last_error = f"stream retention: {exc}"

    def _tick_one(self, definition: ScheduleDef, now: datetime) -> Fire | None:
        name = definition.name
        record = self._call(lambda ws: ws.state.schedule(name))
        if record is None or record.next_fire_at is None or record.next_fire_at > now:
            return None
        tick = definition.timing.latest_at_or_before(now)
        self._call(lambda ws: ws.state.set_next_fire(name, definition.timing.next_after(now)))
        if not self._call(lambda ws: ws.state.claim_fire(name, tick, now=now)):
            return None  # another scheduler (or this one before a restart) fired it
        late = now - tick
        if late > definition.misfire_grace:
            return self._end(name, tick, "missed",
                             f"missed: {late.total_seconds():g}s late, more than misfire_grace "
                             f"({definition.misfire_grace.total_seconds():g}s); no scheduler was running at {tick.isoformat()}")
        active = self._active.get(name)
        if active is not None:
            return self._end(name, tick, "skipped",
                             f"skipped: the fire scheduled at {active.scheduled_at.isoformat()} is still running")
        return self._fire(definition, tick)

    def _fire(self, definition: ScheduleDef, tick: datetime) -> Fire:
        name, trigger = definition.name, f"schedule:{definition.name}"
        if definition.kind == "notebook":
            if self._run_notebook is None:
                return self._end(name, tick, "failed", "this process cannot run notebooks (no notebook runner): "
                                 "install interlace[runner] and run `interlace serve` or `interlace scheduler`")
            future = self._notebooks.submit(self._run_notebook, self._ws, definition, trigger)
            self._active[name] = _Active(tick, future=future)
            self._call(lambda ws: ws.state.record_fire(name, tick, status="running"))
            return Fire(name, tick, "running")
        options = RunOptions(select=definition.select, force=True)
        try:
            handle = self._call(lambda ws: ws.runs.start(ws.plan(options), trigger=trigger))
        except InterlaceError as exc:
            return self._end(name, tick, "failed", str(exc))
        self._active[name] = _Active(tick, handle=handle)
        self._call(lambda ws: ws.state.record_fire(name, tick, status="running", run_id=handle.run_id))
        return Fire(name, tick, "running", handle.run_id)

    def _end(self, name: str, tick: datetime, status: str, error: str | None, run_id: str | None = None) -> Fire:
        self._call(lambda ws: ws.state.record_fire(name, tick, status=status, run_id=run_id, error=error,
                                                   finished=True))
        return Fire(name, tick, status, run_id, error)

    def _reap(self) -> None:
        """Record the outcome of the fires that finished since the last tick."""
        for name, active in list(self._active.items()):
            outcome = active.outcome()
            if outcome is not None:
                del self._active[name]
                self._end(name, active.scheduled_at, outcome[0], outcome[2], outcome[1])

    def wait_idle(self, timeout: float | None = None) -> None:
        """Wait for the fires in progress to finish, and record them."""
        with self._mutex:
            active = list(self._active.values())
        for item in active:
            if item.handle is not None:
                item.handle._done.wait(timeout)
            elif item.future is not None:
                item.future.exception(timeout)
        with self._mutex:
            self._reap()

    def trigger(self, name: str, now: datetime | None = None) -> Fire:
        """Fire ``name`` now, outside its timing (recorded like any tick, at ``now``)."""
        now = now or self._now()
        with self._mutex:
            if not self._defs and not self.errors:
                self.load(now)
            definition = self._defs.get(name)
            if definition is None:
                raise self.unknown(name)
            self._reap()
            if not self._call(lambda ws: ws.state.claim_fire(name, now, now=now)):
                return Fire(name, now, "skipped", error="a fire at this very time exists already")
            if name in self._active:
                return self._end(name, now, "skipped", "skipped: the previous fire is still running")
            return self._fire(definition, now)

    def unknown_after_load(self, name: str) -> InterlaceError:
        """The error for an unknown ``name``, listing the schedules (loading them first)."""
        if not self._defs and not self.errors:
            self.load()
        return self.unknown(name)

    def unknown(self, name: str) -> InterlaceError:
        if name in self.errors:
            return UnknownScheduleError(f"schedule '{name}' is not loaded: {self.errors[name]}",
                                        hint="fix the schedule in config.yaml and restart the scheduler")
        known = sorted(self._defs)
        return UnknownScheduleError(
            f"no schedule named '{name}'.{did_you_mean(name, known)} Schedules: {', '.join(known) or 'none'}",
            hint="`interlace schedule list` shows them; model schedules are named model:<model>")

    # -- the loop ----------------------------------------------------------------------------------
    def start(self, poll_interval: float | None = None) -> Scheduler:
        """Load the schedules and tick on a daemon thread until :meth:`stop`."""
        interval = poll_interval or self._ws.loaded.config.scheduler.poll_interval
        self.started_at = self._now()
        try:
            self.load()
        except InterlaceError as exc:  # the project itself does not load: report it, keep trying
            self.last_error = str(exc)
            log.error("the scheduler could not load the project: %s", exc)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(interval,), name="interlace-scheduler",
                                        daemon=True)
        self._thread.start()
        return self

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                if not self._defs and self.last_error:
                    self.load()
                    self.last_error = None
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the loop outlives any one failure
                log.exception("scheduler tick failed")
                self.last_error = str(exc)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop ticking; let the fires in progress finish for up to ``timeout`` seconds, then cancel
        the model runs still going. Every fire ends recorded with its outcome."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.wait_idle(timeout)
        with self._mutex:
            late = [a.handle for a in self._active.values() if a.handle is not None]
        for handle in late:
            handle.cancel()
            handle._done.wait(timeout)
        self._notebooks.shutdown(wait=True, cancel_futures=True)
        with self._mutex:
            self._reap()

    def status(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "last_tick_at": self.last_tick_at.isoformat() if self.last_tick_at else None,
            "ticks": self.ticks,
            "schedules": sorted(self._defs),
            "active": {name: a.scheduled_at.isoformat() for name, a in self._active.items()},
            "errors": dict(self.errors),
            "last_error": self.last_error,
        }
