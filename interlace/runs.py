"""The run manager: how every face starts, follows and cancels runs of one workspace.

The CLI, the notebook magics, the API, the dashboard, the scheduler and the notebook runner all
go through :class:`RunManager` (``Workspace.runs``), so they share one rule for a second run while
one is going (``reject`` or ``queue``), one record per run written the moment it is accepted
(``queued``), and one way to cancel. A run in the foreground (:meth:`RunManager.run`: CLI,
notebook) executes on the calling thread so Ctrl-C / a kernel interrupt reach it; a background run
(:meth:`RunManager.start`: API, dashboard, scheduler) gets a thread of its own.

Core: imports no face library.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from interlace.engine.results import RunResult
from interlace.errors import InterlaceError, RunInProgressError
from interlace.state.store import RunRecord

if TYPE_CHECKING:
    from interlace.engine.run import Run
    from interlace.planner.plan import Plan

__all__ = ["POLICIES", "RunHandle", "RunManager", "Trigger"]

log = logging.getLogger("interlace.runs")

POLICIES = ("reject", "queue")
_KEPT_ROWS = 1000  # rows kept of each in-memory result, for previews
Policy = Literal["reject", "queue"]


@dataclass(frozen=True, slots=True)
class Trigger:
    """Who asked for a run: ``cli``, ``notebook``, ``api``, ``dashboard``, ``schedule``,
    ``notebook-run`` or ``python``, with an optional detail (a key name, a schedule name)."""

    kind: str
    detail: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.detail}" if self.detail else self.kind

    @classmethod
    def of(cls, value: Trigger | str) -> Trigger:
        if isinstance(value, Trigger):
            return value
        kind, _, detail = value.partition(":")
        return cls(kind, detail or None)


class RunHandle:
    """A run the manager accepted: follow it (``status``, ``wait``), or ``cancel`` it."""

    def __init__(self, run: Run, manager: RunManager, *, foreground: bool = False) -> None:
        self.run = run
        self.foreground = foreground  # executes on the thread that asked for it
        self.waited = False  # queued behind another run (its plan is made again if that made it stale)
        self._manager = manager
        self._done = threading.Event()
        self._result: RunResult | None = None
        self._error: BaseException | None = None
        self._state = "queued"

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def plan(self) -> Plan:
        return self.run.plan

    @property
    def status(self) -> str:
        """queued | running | success | failed | cancelled (live, without reading state)."""
        if self._result is not None:
            return self._result.status
        if self._error is not None:
            return "failed"
        return self._state

    @property
    def result(self) -> RunResult | None:
        return self._result

    @property
    def error(self) -> BaseException | None:
        """An error that stopped the run before it could execute (a stale plan, say)."""
        return self._error

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        """The result once the run ended (None if ``timeout`` passed first); re-raises an error that
        kept the run from executing."""
        self._done.wait(timeout)
        if self._error is not None:
            raise self._error
        return self._result

    def cancel(self) -> None:
        self._manager.cancel(self.run_id)


class RunManager:
    """Starts the runs of one workspace, one at a time (``policy``: ``reject`` a second run, or
    ``queue`` it behind the current one)."""

    def __init__(self, *, prepare: Callable[[Plan, Trigger, str | None], Run],
                 execute: Callable[[Run, bool], RunResult], history: Callable[[int], list[RunRecord]],
                 record: Callable[[str], RunRecord | None], queue: Callable[[Run], None],
                 policy: Policy = "reject") -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown run policy {policy!r}; use one of {', '.join(POLICIES)}")
        self.policy: Policy = policy
        self._prepare, self._execute, self._history, self._record = prepare, execute, history, record
        self._queue_record = queue
        self._mutex = threading.Condition()
        self._current: RunHandle | None = None
        self._waiting: deque[RunHandle] = deque()
        self._handles: dict[str, RunHandle] = {}  # the runs of this process (bounded below)
        self._working = False  # a worker thread is taking background runs
        self._worker: threading.Thread | None = None
        self._results: dict[str, tuple[Any, int]] = {}  # in-memory results of the last runs (head, rows)
        self._closed = False

    # -- starting runs -----------------------------------------------------------------------------
    def run(self, plan: Plan, *, trigger: Trigger | str = "python") -> RunResult:
        """Apply ``plan`` on this thread and return its result (Ctrl-C cancels it)."""
        handle = self._admit(plan, Trigger.of(trigger), background=False)
        try:
            handle._state = "running"
            handle._result = self._execute(handle.run, handle.waited)
            return handle._result
        finally:
            self._finish(handle)

    def start(self, plan: Plan, *, trigger: Trigger | str = "python", policy: Policy | None = None) -> RunHandle:
        """Accept ``plan`` and run it on a background thread; the record says ``queued`` at once.
        ``policy`` overrides the manager's for this run (a schedule with ``overlap: queue``)."""
        handle = self._admit(plan, Trigger.of(trigger), background=True, policy=policy)
        with self._mutex:
            if not self._working:
                self._working = True
                self._worker = threading.Thread(target=self._work, name="interlace-runs", daemon=True)
                self._worker.start()
            self._mutex.notify_all()
        return handle

    def _admit(self, plan: Plan, trigger: Trigger, *, background: bool,
               policy: Policy | None = None) -> RunHandle:
        with self._mutex:
            if self._closed:
                raise RunInProgressError("the workspace is shutting down: no new runs are accepted",
                                         run_id="", hint="open the workspace again")
            busy = self._current or (self._waiting[0] if self._waiting else None)
            if busy is not None and (policy or self.policy) == "reject":
                raise RunInProgressError(
                    f"run {busy.run_id} is still in progress; one run at a time",
                    run_id=busy.run_id,
                    hint="wait for it to finish, cancel it, or use the 'queue' run policy (run.policy: queue)",
                )
            run = self._prepare(plan, trigger, None)
            handle = RunHandle(run, self, foreground=not background)
            handle.waited = busy is not None
            self._handles[run.run_id] = handle
            self._prune()
            if background or busy is not None:
                self._queue_record(run)
                self._waiting.append(handle)
            if background:
                return handle
            try:  # a foreground run waits on this thread for its turn (policy queue)
                while self._current is not None or (self._waiting and self._waiting[0] is not handle):
                    self._mutex.wait(0.2)
            except BaseException:
                if handle in self._waiting:
                    self._waiting.remove(handle)
                handle._done.set()
                raise
            if self._waiting and self._waiting[0] is handle:
                self._waiting.popleft()
            self._current = handle
            return handle

    def _work(self) -> None:
        while True:
            with self._mutex:
                while not self._closed and (self._current is not None or not self._waiting
                                            or self._waiting[0].foreground):
                    if not self._waiting and self._current is None:
                        self._working = False
                        return  # nothing left: the thread ends (start() makes another)
                    self._mutex.wait(0.2)
                if self._closed:
                    self._working = False
                    return
                handle = self._waiting.popleft()
                self._current = handle
            try:
                handle._state = "running"
                handle._result = self._execute(handle.run, handle.waited)
            except InterlaceError as exc:  # e.g. a queued plan went stale: recorded on the handle
                handle._error = exc
            except Exception as exc:  # a bug in the engine: the run records its own failures
                log.exception("run %s raised", handle.run_id)
                handle._error = exc
            finally:
                self._finish(handle)
    def _finish(self, handle: RunHandle) -> None:
        with self._mutex:
            for name, table in handle.run.results_in_memory.items():
                self._results[name] = table.slice(0, _KEPT_ROWS), table.num_rows
            if self._current is handle:
                self._current = None
            handle._done.set()
            self._mutex.notify_all()

    def _prune(self) -> None:
        """Keep the handles of the last 100 finished runs (status and results of older runs are in state)."""
        finished = [rid for rid, h in self._handles.items() if h.done]
        for rid in finished[:-100]:
            del self._handles[rid]

    # -- following runs ----------------------------------------------------------------------------
    def last_result(self, model: str) -> tuple[Any, int] | None:
        """(first rows as a pyarrow Table, row count) of the last in-memory result of ``model`` in
        this process (models whose result lives only during a run)."""
        with self._mutex:
            return self._results.get(model)

    def handle(self, run_id: str) -> RunHandle | None:
        with self._mutex:
            return self._handles.get(run_id)

    def active(self) -> list[RunHandle]:
        """The running run, then the queued ones in order."""
        with self._mutex:
            return [h for h in (self._current, *self._waiting) if h is not None]

    def is_active(self, run_id: str) -> bool:
        return any(h.run_id == run_id for h in self.active())

    def status(self, run_id: str) -> RunRecord | None:
        """The run's record (None for an unknown id)."""
        return self._record(run_id)

    def history(self, limit: int = 20) -> list[RunRecord]:
        return self._history(limit)

    def wait(self, run_id: str, timeout: float | None = None) -> RunResult | None:
        handle = self.handle(run_id)
        return handle.wait(timeout) if handle is not None else None

    def cancel(self, run_id: str) -> bool:
        """Cancel a running or queued run of this process; False if it is not active here."""
        with self._mutex:
            handle = self._handles.get(run_id)
            if handle is None or handle.done:
                return False
        handle.run.cancel()
        return True

    def shutdown(self, timeout: float = 30.0) -> None:
        """Refuse new runs, cancel the active ones and wait for them to roll back."""
        with self._mutex:
            self._closed = True
            handles = [h for h in (self._current, *self._waiting) if h is not None]
            queued = list(self._waiting)
            self._waiting.clear()
            self._mutex.notify_all()
        for handle in handles:
            handle.run.cancel()
        for handle in queued:  # never started: they end cancelled, with a record that says so
            try:
                handle._result = self._execute(handle.run, True)
            except Exception:  # noqa: BLE001 - shutting down: log and go on
                log.exception("cancelling queued run %s failed", handle.run_id)
            handle._done.set()
        for handle in handles:
            handle._done.wait(timeout)
        # the worker thread holds a DuckDB reader cursor in its thread-local storage: it must end
        # before the workspace (and maybe the interpreter) closes, never during finalization
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)
