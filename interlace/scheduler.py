"""The scheduler: fires the project's schedules, at most once per tick, durably.

Each :meth:`Scheduler.tick` (``now`` injectable, so tests drive a fake clock) looks at every
schedule whose ``next_fire_at`` has come:

- it takes the latest tick at or before ``now``; earlier missed ticks are coalesced into it;
- that tick runs if it is at most ``misfire_grace`` late (catch-up after downtime), else it is
  recorded as ``missed``; ticks from before a schedule existed never run; a paused schedule's
  ticks pass unclaimed;
- the tick is claimed in ``schedule_fires`` under the key (schedule, scheduled time) before it
  runs, so a restart or a second scheduler never runs it twice;
- while ``max_concurrency`` fires of the schedule are in flight, the tick is recorded ``skipped``
  (``overlap: skip``) or waits ``queued`` for a free slot (``overlap: queue``);
- a fire that fails is fired again (same tick, next attempt) after its retry policy's delay —
  ``retrying`` in state, so a restart resumes it; once the attempts are spent it is ``failed``, a
  dead letter, and a webhook notification when one is configured.

Model schedules run through the workspace's run manager — planned with ``force=True`` (never
skipped by change detection), started with ``trigger="schedule:<name>"``, and queued behind the
schedule's own running fire when ``max_concurrency`` allows more than one. Notebook schedules run
through the ``notebook_runner`` a face provides (papermill lives outside core).

Core: imports no face library.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from interlace.errors import InterlaceError
from interlace.fires import Active, Fire, Outcome, Pending
from interlace.maintenance import run_lake_task
from interlace.options import RunOptions
from interlace.retry import error_names
from interlace.schedules import ScheduleDef, project_schedules, unknown_schedule

if TYPE_CHECKING:
    from interlace.notify import Webhook
    from interlace.state.scheduling import NotebookRunRecord
    from interlace.workspace import Workspace

__all__ = ["Fire", "NotebookRunner", "Scheduler"]

log = logging.getLogger("interlace.scheduler")
RETENTION_EVERY = timedelta(minutes=1)  # how often a ticking scheduler applies stream retention
T = TypeVar("T")
NotebookRunner = Callable[["Workspace", ScheduleDef, str], "NotebookRunRecord"]
_FAILED = frozenset({"failed", "timeout", "dead_kernel"})


class Scheduler:
    """Fires one workspace's schedules; ``tick()`` once, or ``start()`` a thread that ticks."""

    def __init__(self, workspace: Workspace, *, call: Callable[[Callable[[Workspace], Any]], Any] | None = None,
                 notebook_runner: NotebookRunner | None = None,
                 clock: Callable[[], datetime] | None = None, webhook: Webhook | None = None) -> None:
        self._ws = workspace
        self._call = call or (lambda work: work(workspace))
        self._run_notebook = notebook_runner
        self._now = clock or (lambda: datetime.now(UTC))
        if webhook is None:
            from interlace.notify import webhook_of

            webhook = webhook_of(workspace.loaded.config)
        self.webhook = webhook
        self._defs: dict[str, ScheduleDef] = {}
        self.errors: dict[str, str] = {}  # schedules that could not be loaded, and why
        self._active: dict[str, list[Active]] = {}
        self._pending: dict[str, list[Pending]] = {}
        self._background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="interlace-fire")
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
        fires first at its next tick after ``now`` (never at one from before it existed). Fires
        left ``retrying`` or ``queued`` by a previous process are picked up again."""
        now = now or self._now()
        with self._mutex:
            errors: dict[str, str] = {}
            defs = self._call(lambda ws: project_schedules(ws.root, ws.loaded, ws.reload().models, errors=errors))
            for definition in defs.values():
                self._call(partial(self._sync, definition=definition, now=now))
            self._defs, self.errors = defs, errors
            self._call(self._interrupted)
            self._call(self._resume_pending)
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
        mine = {(name, a.scheduled_at) for name, items in self._active.items() for a in items}
        for fire in ws.state.unfinished_fires():
            if (fire.schedule, fire.scheduled_at) in mine or (fire.run_id and ws.runs.is_active(fire.run_id)):
                continue
            ws.state.record_fire(fire.schedule, fire.scheduled_at, status="interrupted", finished=True,
                                 error="the scheduler stopped before this fire finished")

    def _resume_pending(self, ws: Workspace) -> None:
        known = {(n, p.scheduled_at) for n, items in self._pending.items() for p in items}
        for fire in ws.state.pending_fires():
            if fire.schedule not in self._defs or (fire.schedule, fire.scheduled_at) in known:
                continue
            attempt = fire.attempt or 1
            pending = Pending(fire.scheduled_at, attempt + 1, fire.retry_at or self._now()) \
                if fire.status == "retrying" else Pending(fire.scheduled_at, attempt)
            self._pending.setdefault(fire.schedule, []).append(pending)

    @property
    def definitions(self) -> dict[str, ScheduleDef]:
        return dict(self._defs)

    def _definition(self, name: str) -> ScheduleDef:
        if not self._defs and not self.errors:
            self.load()
        definition = self._defs.get(name)
        if definition is None:
            raise self.unknown(name)
        return definition

    # -- pause / resume ----------------------------------------------------------------------------
    def pause(self, name: str) -> None:
        """Stop firing ``name`` (its fires in flight finish); its ticks pass unclaimed."""
        with self._mutex:
            self._definition(name)
            self._call(lambda ws: ws.state.set_paused(name, True, next_fire_at=None))

    def resume(self, name: str, now: datetime | None = None) -> datetime:
        """Fire ``name`` again from its next tick after ``now`` (no catch-up of the paused ticks)."""
        now = now or self._now()
        with self._mutex:
            definition = self._definition(name)
            next_fire = definition.timing.next_after(now)
            self._call(lambda ws: ws.state.set_paused(name, False, next_fire_at=next_fire))
            return next_fire

    # -- ticking -----------------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> list[Fire]:
        """Fire every schedule that is due at ``now`` (and the retries and queued fires whose
        time has come); returns what each did."""
        now = now or self._now()
        with self._mutex:
            fired = self._reap(now)
            for definition in self._defs.values():
                try:
                    fire = self._tick_one(definition, now)
                    fired.extend(self._start_pending(definition, now))
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
        if record.paused:
            return None
        if not self._call(lambda ws: ws.state.claim_fire(name, tick, now=now)):
            return None  # another scheduler (or this one before a restart) fired it
        late = now - tick
        if late > definition.misfire_grace:
            return self._end(name, tick, "missed",
                             f"missed: {late.total_seconds():g}s late, more than misfire_grace "
                             f"({definition.misfire_grace.total_seconds():g}s); no scheduler was running "
                             f"at {tick.isoformat()}")
        return self._admit(definition, tick, now)

    def _in_flight(self, name: str) -> int:
        """Fires of ``name`` running, or waiting to retry (a retry keeps its slot)."""
        return len(self._active.get(name, ())) + sum(p.retrying for p in self._pending.get(name, ()))

    def _admit(self, definition: ScheduleDef, tick: datetime, now: datetime) -> Fire:
        name = definition.name
        busy = self._in_flight(name)
        if busy < definition.max_concurrency:
            return self._fire(definition, tick, 1, queue=busy > 0)
        if definition.overlap == "queue":
            self._pending.setdefault(name, []).append(Pending(tick, 1))
            self._call(lambda ws: ws.state.record_fire(name, tick, status="queued"))
            return Fire(name, tick, "queued")
        running = sorted(a.scheduled_at.isoformat() for a in self._active.get(name, ()))
        what = (f"the fire scheduled at {running[0]} is still running" if busy == 1 and running
                else f"{busy} fires are in flight (max_concurrency {definition.max_concurrency})")
        return self._end(name, tick, "skipped", f"skipped: {what}")

    def _start_pending(self, definition: ScheduleDef, now: datetime) -> list[Fire]:
        """Start the retries that are due, then the queued ticks that fit in max_concurrency."""
        name, fired = definition.name, []
        for pending in list(self._pending.get(name, ())):
            if pending.retrying and pending.due is not None and pending.due <= now:
                self._pending[name].remove(pending)
                fired.append(self._fire(definition, pending.scheduled_at, pending.attempt,
                                        queue=self._in_flight(name) > 0))
        for pending in list(self._pending.get(name, ())):
            if not pending.retrying and self._in_flight(name) < definition.max_concurrency:
                self._pending[name].remove(pending)
                fired.append(self._fire(definition, pending.scheduled_at, pending.attempt,
                                        queue=self._in_flight(name) > 0))
        return fired

    def _fire(self, definition: ScheduleDef, tick: datetime, attempt: int, *, queue: bool = False) -> Fire:
        start = {"notebook": self._fire_notebook, "lake": self._fire_lake}.get(definition.kind, self._fire_models)
        return start(definition, tick, attempt, queue)

    def _fire_models(self, definition: ScheduleDef, tick: datetime, attempt: int, queue: bool) -> Fire:
        name, trigger = definition.name, f"schedule:{definition.name}"
        options = RunOptions(select=definition.select, force=True)
        try:
            handle = self._call(lambda ws: ws.runs.start(ws.plan(options), trigger=trigger,
                                                         policy="queue" if queue else None))
        except InterlaceError as exc:
            outcome = Outcome("failed", None, str(exc), frozenset(error_names(exc)))
            return self._conclude(definition, tick, attempt, outcome, self._now())
        self._active.setdefault(name, []).append(Active(tick, attempt, handle=handle))
        self._call(lambda ws: ws.state.record_fire(name, tick, status="running", run_id=handle.run_id,
                                                   attempt=attempt))
        return Fire(name, tick, "running", handle.run_id, attempt=attempt)

    def _fire_notebook(self, definition: ScheduleDef, tick: datetime, attempt: int, queue: bool) -> Fire:
        if self._run_notebook is None:
            return self._end(definition.name, tick, "failed",
                             "this process cannot run notebooks (no notebook runner): "
                             "install interlace[runner] and run `interlace serve` or `interlace scheduler`")
        trigger = f"schedule:{definition.name}"
        return self._in_background(definition.name, tick, attempt,
                                   self._background.submit(self._run_notebook, self._ws, definition, trigger))

    def _fire_lake(self, definition: ScheduleDef, tick: datetime, attempt: int, queue: bool) -> Fire:
        task = definition.lake
        assert task is not None
        work = partial(self._call, lambda ws: run_lake_task(ws, task, self._now()))
        return self._in_background(definition.name, tick, attempt, self._background.submit(work))

    def _in_background(self, name: str, tick: datetime, attempt: int, future: Future[Any]) -> Fire:
        self._active.setdefault(name, []).append(Active(tick, attempt, future=future))
        self._call(lambda ws: ws.state.record_fire(name, tick, status="running", attempt=attempt))
        return Fire(name, tick, "running", attempt=attempt)

    def _end(self, name: str, tick: datetime, status: str, error: str | None, run_id: str | None = None,
             attempt: int | None = None) -> Fire:
        self._call(lambda ws: ws.state.record_fire(name, tick, status=status, run_id=run_id, error=error,
                                                   finished=True, attempt=attempt))
        return Fire(name, tick, status, run_id, error, attempt or 1)

    def _conclude(self, definition: ScheduleDef, tick: datetime, attempt: int, outcome: Outcome,
                  now: datetime) -> Fire:
        """Record how attempt ``attempt`` ended: retry it later, or end it (a failure that spent
        its attempts becomes a dead letter and a notification)."""
        name, policy = definition.name, definition.retry
        if outcome.status not in _FAILED:
            return self._end(name, tick, outcome.status, outcome.error, outcome.run_id, attempt)
        if attempt < policy.max_attempts and (not policy.retry_on or set(policy.retry_on) & outcome.names):
            delay = policy.delay(attempt)
            due = now + timedelta(seconds=delay)
            self._pending.setdefault(name, []).append(Pending(tick, attempt + 1, due))
            self._call(lambda ws: ws.state.record_fire(name, tick, status="retrying", run_id=outcome.run_id,
                                                       error=outcome.error, attempt=attempt, retry_at=due))
            log.warning("schedule %s: attempt %d failed (%s); retrying at %s", name, attempt,
                        outcome.error, due.isoformat())
            return Fire(name, tick, "retrying", outcome.run_id, outcome.error, attempt)
        fire = self._end(name, tick, "failed", outcome.error, outcome.run_id, attempt)
        letter = self._call(lambda ws: ws.state.add_dead_letter(
            kind="schedule", schedule=name, scheduled_at=tick, run_id=outcome.run_id, attempts=attempt,
            error=outcome.error, payload=definition.payload(), now=now))
        if self.webhook is not None:
            from interlace.notify import schedule_failed

            self.webhook.send(schedule_failed(self._ws, definition, fire, letter))
        return fire

    def _reap(self, now: datetime | None = None) -> list[Fire]:
        """Record the outcome of the fires that finished since the last tick."""
        now = now or self._now()
        fired = []
        for name, items in list(self._active.items()):
            for active in list(items):
                outcome = active.outcome()
                if outcome is None:
                    continue
                items.remove(active)
                definition = self._defs.get(name)
                if definition is None:
                    fired.append(self._end(name, active.scheduled_at, outcome.status, outcome.error,
                                           outcome.run_id, active.attempt))
                else:
                    fired.append(self._conclude(definition, active.scheduled_at, active.attempt, outcome, now))
        return [f for f in fired if f.status == "retrying"]

    def _busy(self) -> bool:
        return any(self._active.values())

    def wait_idle(self, timeout: float | None = None, *, retries: bool = False) -> None:
        """Wait for the fires in progress to finish, and record them; with ``retries``, also run
        the retries they call for (waiting out their delays on the real clock)."""
        deadline = None if timeout is None else datetime.now(UTC) + timedelta(seconds=timeout)
        while True:
            with self._mutex:
                active = [a for items in self._active.values() for a in items]
            for item in active:
                left = None if deadline is None else max(0.0, (deadline - datetime.now(UTC)).total_seconds())
                if item.handle is not None:
                    item.handle._done.wait(left)
                elif item.future is not None:
                    item.future.exception(left)
            with self._mutex:
                self._reap()
                due = [p.due for items in self._pending.values() for p in items if p.retrying and p.due]
                if not retries or not due or (deadline is not None and datetime.now(UTC) >= deadline):
                    return
                wait = max(0.0, (min(due) - self._now()).total_seconds())
            if self._stop.wait(wait):
                return
            with self._mutex:
                now = self._now()
                for definition in self._defs.values():
                    self._start_pending(definition, now)

    def trigger(self, name: str, now: datetime | None = None) -> Fire:
        """Fire ``name`` now, outside its timing (recorded like any tick, at ``now``)."""
        now = now or self._now()
        with self._mutex:
            definition = self._definition(name)
            self._reap(now)
            if not self._call(lambda ws: ws.state.claim_fire(name, now, now=now)):
                return Fire(name, now, "skipped", error="a fire at this very time exists already")
            return self._admit(definition, now, now)

    def unknown_after_load(self, name: str) -> InterlaceError:
        """The error for an unknown ``name``, listing the schedules (loading them first)."""
        if not self._defs and not self.errors:
            self.load()
        return self.unknown(name)

    def unknown(self, name: str) -> InterlaceError:
        return unknown_schedule(name, self._defs, self.errors)

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
        the model runs still going. Every fire ends recorded with its outcome; a retry not yet
        started stays ``retrying`` in state, for the next scheduler to run."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.wait_idle(timeout)
        with self._mutex:
            late = [a.handle for items in self._active.values() for a in items if a.handle is not None]
        for handle in late:
            handle.cancel()
            handle._done.wait(timeout)
        self._background.shutdown(wait=True, cancel_futures=True)
        with self._mutex:
            self._reap()
        if self.webhook is not None:
            self.webhook.drain(timeout)

    def status(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "last_tick_at": self.last_tick_at.isoformat() if self.last_tick_at else None,
            "ticks": self.ticks,
            "schedules": sorted(self._defs),
            "active": {name: [a.scheduled_at.isoformat() for a in items]
                       for name, items in self._active.items() if items},
            "pending": {name: [{"scheduled_at": p.scheduled_at.isoformat(), "attempt": p.attempt,
                                "retry_at": p.due.isoformat() if p.due else None} for p in items]
                        for name, items in self._pending.items() if items},
            "errors": dict(self.errors),
            "last_error": self.last_error,
            "webhook": None if self.webhook is None else {
                "host": urlsplit(self.webhook.url).netloc, "delivered": len(self.webhook.delivered),
                "failed": self.webhook.failed},
        }
